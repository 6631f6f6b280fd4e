// Makes a workspace the way Dendron itself does ("Dendron: Initialize Workspace" calls the same
// WorkspaceService.createWorkspace), so notegen is tested on workspaces it did not write.
//
//   node mkws.js DIR standard|self-contained|two-vaults

"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

// Dendron keeps metadata under the home folder: a fresh one keeps the person's out of it, and theirs out of ours.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "dendron-home-"));
process.env.HOME = home;

const { ConfigService, URI } = require("@dendronhq/common-all");
const { NodeJSFileStore, WorkspaceService } = require("@dendronhq/engine-server");

const KINDS = {
  standard: { wsVault: { fsPath: "vault", name: "vault" } },
  "self-contained": { useSelfContainedVault: true, wsVault: { fsPath: ".", selfContained: true, name: "papers" } },
  "two-vaults": { wsVault: { fsPath: "vault", name: "vault" }, additionalVaults: [{ fsPath: "work", name: "work" }] },
};

async function main(wsRoot, kind) {
  if (!KINDS[kind]) throw new Error(`kind must be one of ${Object.keys(KINDS).join(", ")}`);
  ConfigService.instance({ homeDir: URI.file(home), fileStore: new NodeJSFileStore() });
  await WorkspaceService.createWorkspace({ wsRoot: path.resolve(wsRoot), createCodeWorkspace: true, ...KINDS[kind] });
}

main(process.argv[2], process.argv[3])
  .then(() => process.exit(0)) // Dendron leaves timers behind
  .catch((err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
    process.exit(1);
  });
