// Reads a workspace with Dendron's own code and prints what Dendron makes of it, as JSON:
// the engine's init errors and indexed notes, each note file as Dendron's parser reads it (with the
// hashtags and images its markdown parser finds), and where Dendron's preview looks for each image.
//
//   node check.js WORKSPACE REPORT.json     (Dendron's own loggers write to stdout, so the report goes to a file)

"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { ConfigService, URI } = require("@dendronhq/common-all");
const { file2Note, vault2Path } = require("@dendronhq/common-server");
const { DendronEngineV3, NodeJSFileStore } = require("@dendronhq/engine-server");
const { MDUtilsV5, DendronASTDest } = require("@dendronhq/unified");

const quiet = { name: "check", level: "error", debug() {}, info() {}, error() {} };

function walk(node, visit) {
  visit(node);
  for (const child of node.children || []) walk(child, visit);
}

function errorsOf(error) {
  if (!error) return [];
  const list = error.errors || [error];
  return list.map((e) => ({ message: e.message, severity: e.severity, status: e.status }));
}

async function main(wsRoot, out) {
  wsRoot = path.resolve(wsRoot);
  // As the editor does at start-up; an empty home keeps a person's global overrides out of the check.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "dendron-home-"));
  ConfigService.instance({ homeDir: URI.file(home), fileStore: new NodeJSFileStore() });
  const engine = await DendronEngineV3.create({ wsRoot, logger: quiet });
  const init = await engine.init();
  const indexed = await engine.findNotesMeta({ excludeStub: false });
  const report = {
    engine_errors: errorsOf(init.error),
    indexed: (indexed || []).map((n) => ({ id: n.id, fname: n.fname, stub: Boolean(n.stub), vault: n.vault.name })),
    files: [],
  };
  for (const vault of engine.vaults) {
    const root = vault2Path({ wsRoot, vault });
    for (const name of fs.readdirSync(root).sort()) {
      if (!name.endsWith(".md")) continue;
      const file = path.join(root, name);
      const { data: note, error } = file2Note(file, vault);
      const entry = { file: path.relative(wsRoot, file), error: error ? error.message : null };
      if (note) {
        Object.assign(entry, {
          fname: note.fname,
          id: note.id,
          title: note.title,
          desc: note.desc,
          created: note.created,
          updated: note.updated,
          hashtags: [],
          images: [],
          headings: [],
        });
        const proc = MDUtilsV5.procRemarkParseNoData({}, { dest: DendronASTDest.MD_DENDRON });
        const tree = proc.parse(note.body);
        for (const node of tree.children) {
          // Top-level headings, with their line in the body (the frontmatter is not part of it).
          if (node.type === "heading") entry.headings.push({ depth: node.depth, line: node.position.start.line });
        }
        walk(tree, (node) => {
          if (node.type === "hashtag") entry.hashtags.push(node.fname);
          if (node.type === "image") {
            // Dendron's preview takes an image path as relative to the vault (makeImageUrlFullPath).
            const full = path.join(root, decodeURI(node.url));
            entry.images.push({ url: node.url, path: full, exists: fs.existsSync(full) });
          }
        });
      }
      report.files.push(entry);
    }
  }
  fs.writeFileSync(out, JSON.stringify(report, null, 1) + "\n");
}

main(process.argv[2], process.argv[3]).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
