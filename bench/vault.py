"""What a big vault costs each command: the same commands in a vault of years of notes and in an empty workspace.

    python bench/vault.py [--notes 1000] [--repeat 3] [--llm-delay 2] [--seed 0] [--out DIR]

Two workspaces made with `notegen init`: one left empty, one given --notes hand-written daily notes in the seed
note's format (about 5 sections each: `## title`, `#tag` from ~40 tags used unevenly, `![图 N](../images/<sha256>
.png)`, 1-4 Chinese paragraphs), one a day back from yesterday, with their tags.<tag>.md notes and a tiny real PNG
for every image (`notegen check` reports missing images, which would time its error printing instead).

Each command runs as a person runs it, the installed `notegen` in a subprocess, against a loopback arXiv (no
pacing) and a loopback model answering in --llm-delay seconds: `draft` of one new paper (a new arXiv ID each run,
serving a corpus PDF, so the PDF is downloaded and read every time; --refresh, so the model is asked although the
same title was asked before) on a new day; `regen` of the paper the last draft wrote; `review`; `check`. Cold is
the first run after deleting the workspace's .notegen, warm the run after it. Empty and vault runs alternate; the
table shows medians of --repeat runs and vault / empty. Start-up: a refused input (`draft 24o1.16420`, exit 2)
beside `--version`. Targets beside the ratios: one-paper draft <= 1.25x, review and check (second run) <= 2x,
refused input <= 2x --version; on 10,000 notes or more, each within 1.5 times that. Prints numbers; never fails.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.fakes.arxiv_server import FakeArxiv, corpus_papers  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402
from tests.pdfs import paper  # noqa: E402

PAPER = "1512.03385"  # the corpus paper every draft serves under a new ID (a generated one without ../shared)
PAPER_TITLE = "Deep Residual Learning for Image Recognition"
REFUSED = "24o1.16420"
COMMANDS = ("draft", "regen", "review", "check")
TARGETS = {("draft", "cold"): 1.25, ("draft", "warm"): 1.25, ("review", "warm"): 2.0, ("check", "warm"): 2.0}
EXPECTED_EXIT = {"draft": {0}, "regen": {0}, "review": {0, 1}, "check": {0}, "--version": {0}, "refused": {2}}

# -- a vault of hand-written notes ------------------------------------------------------------------------


def words(text: str, sep: str | None = None) -> list[str]:
    """A word list written as a line of text: long lists stay a few lines instead of one item a line."""
    return text.split(sep)


TAGS = words(
    "MLLM LLM image_generation diffusion video_generation agent RL reasoning 3d_vision segmentation detection "
    "style-image efficient quantization RAG alignment benchmark robotics embodied nerf gaussian_splatting editing "
    "tokenizer MoE long_context speech code math medical remote_sensing graph time_series federated safety "
    "distillation self-supervised domain_adaptation causal world_model survey"
)
TAG_WEIGHTS = [1 / (rank + 1) ** 1.1 for rank in range(len(TAGS))]  # Zipf-like: a few tags carry most sections

PREFIXES = words("Free Omni Uni Mega Flash Deep Meta Hyper Open Vis Mo Long Any Sparse Inst Gen Intern Mini Token")
SUFFIXES = words("Style Former Net GPT Diff Gen VLM Seg Mamba Agent Bench LoRA Fusion World Mixer Composer Align")
VERSIONS = ["", "", "", "", "2", "-XL", "-I2V", "-R1", "-V", "++", "-o", "3D"]
ADJECTIVES = words(
    "Consistent Controllable Efficient Scalable Robust Spatial-Aware Training-Free Unified Fine-Grained Zero-Shot "
    "Multi-Scale Adaptive Sparse Hierarchical Compositional Long-Horizon Self-Supervised Lightweight Generalizable"
)
NOUNS = words(
    "Latent Initialization, Diffusion Models, Vision-Language Models, Attention, Token Merging, Reward Models, "
    "Motion Modeling, Preference Optimization, Visual Tokens, Mixture of Experts, State Space Models, Retrieval, "
    "Memory, Policy Learning, Knowledge Distillation, Scene Representations, Instruction Tuning, Prompt Learning, "
    "Graph Networks, Contrastive Learning",
    sep=", ",
)
TASKS = words(
    "Image Generation, Image-to-Video Generation, Text-Image Composition, Video Understanding, Object Detection, "
    "Open-Vocabulary Segmentation, Mathematical Reasoning, Code Generation, Robot Manipulation, 3D Reconstruction, "
    "Style Transfer, Image Editing, Speech Recognition, Time Series Forecasting, Medical Image Analysis, "
    "Visual Question Answering, Novel View Synthesis, Language Model Alignment, Long-Context Understanding",
    sep=", ",
)
PATTERNS = [
    "{acro}: {adj} {noun} for {task}",
    "{acro}: Mastering {adj} {task} with {noun}",
    "{adj} {noun} for {adj2} {task}",
    "Towards {adj} {task} via {noun}",
    "Rethinking {noun} in {task}",
    "{noun} Is All You Need for {adj} {task}",
    "Divide and Conquer: {noun} can Plan and Self-Correct for {task}",
    "{acro}: Free Lunch for {adj} {task} using {noun}",
    "When {noun} Meet {task}: An Empirical Study",
    "Scaling {noun} for {adj} {task}",
    "{acro}: Consistent and Controllable {task} with Explicit {noun}",
    "Learning {adj} {noun} from Unlabeled Data for {task}",
]

# Chinese terms with the English a summary puts beside them in brackets, as the seed note does.
TERMS = [
    tuple(pair.split("="))
    for pair in words(
        "扩散模型=diffusion model; 大语言模型=large language model; 视觉语言模型=vision-language model; "
        "强化学习=reinforcement learning; 知识蒸馏=knowledge distillation; 对比学习=contrastive learning; "
        "图神经网络=graph neural network; 检索增强生成=retrieval-augmented generation; 低秩适配=LoRA; "
        "混合专家=mixture of experts; 目标检测=object detection; 语义分割=semantic segmentation; 神经辐射场=NeRF; "
        "三维高斯溅射=3D Gaussian Splatting; 思维链=chain-of-thought; 指令微调=instruction tuning; "
        "偏好对齐=preference alignment; 自监督学习=self-supervised learning; 视频生成=video generation; "
        "文本到图像生成=text-to-image generation; 状态空间模型=state space model; 域适应=domain adaptation; "
        "时间序列预测=time series forecasting; 模型量化=quantization; 多模态理解=multimodal understanding",
        sep="; ",
    )
]
SCENES = words(
    "开放域场景 长视频理解 低资源语言 高分辨率图像 多轮对话 真实机器人操作 跨域部署 边缘设备 复杂文本提示 "
    "大范围运动和视角变化的场景 多对象组合生成 长文档问答"
)
TROUBLES = words(
    "难以兼顾效果与效率 容易产生幻觉 过度依赖人工标注数据 推理成本过高 泛化能力明显不足 难以保持时间上的一致性 "
    "缺乏细粒度的可控性 无法准确遵循文本中的空间布局信息 训练过程不稳定"
)
ASPECTS = words("一致性 可控性 属性绑定 对象关系 计算效率 数据质量 长程依赖 空间布局 评测方式")
NAMED = "这篇论文介绍了一个名为{m}的方法，旨在解决{a}在{scene}中{trouble}的问题。"  # for a title with a name
OPENINGS = [
    "这篇论文试图解决的问题是：在{scene}中，{a}{trouble}。",
    "本文关注{a}的一个关键难题：现有方法在{scene}中{trouble}。",
    "这篇论文研究的是如何在不进行额外训练的情况下，利用预训练的{a}改善{aspect}。",
]
MIDDLES = [
    "现有方法通常依赖{b}，但这类方法在{aspect}方面存在明显不足，导致生成结果与输入描述不匹配。",
    "具体来说，作者指出已有工作主要在固定的基准上调优，一旦数据分布发生变化，性能就会大幅下降。",
    "尽管{a0}近年来取得了显著进展，但在处理{scene}时仍然{trouble}，这限制了它在实际应用中的价值。",
    "论文分析了造成这一问题的原因，认为关键在于模型没有显式地建模{aspect}，而是把它隐含在端到端的训练目标中。",
    "此外，已有方法的计算开销随着输入长度快速增长，很难推广到更大的规模。",
    "这一问题在{b}的场景下尤其突出，因为错误会在多个步骤之间不断累积。",
]
METHODS = [
    "为此，论文提出了{new}，通过{b}把{aspect}与{aspect2}结合起来，从而在多个基准上取得更好的结果。",
    "{m}的核心思想是先预测可能的{aspect}，再据此生成最终结果，整个过程无需额外训练。",
    "实验表明，{m}在多个基准测试中显著优于现有方法，在部分评估中甚至与更大的模型相当。",
    "作者还构建了一个新的评测集，用来系统地衡量{aspect}，并公开了代码和模型。",
]
POINTS = [
    "{aspect}问题：现有方法在{scene}中往往{trouble}。这主要是因为它们依赖{b}，限制了模型捕捉关键信息的能力。",
    "{aspect}问题：模型应当准确保留输入中的每个要素，避免遗漏、错位或数量不一致的情况。",
    "{aspect}问题：多个要素之间可能存在复杂的交互关系，生成过程应当精确且忠实地传达这些关系。",
]


def png(n: int) -> bytes:
    """A valid 1x1 PNG whose colour is `n`, so each image has its own bytes and so its own sha256 name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixel = b"\x00" + (n % 2**24).to_bytes(3, "big")
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixel)) + chunk(b"IEND", b"")


def title_of(rng: random.Random) -> tuple[str, str | None]:
    """A paper title, and the method's name when the title gives one (`FreeStyle: ...`)."""
    acro = rng.choice(PREFIXES) + rng.choice(SUFFIXES) + rng.choice(VERSIONS)
    adj, adj2 = rng.sample(ADJECTIVES, 2)
    words = {"acro": acro, "adj": adj, "adj2": adj2, "noun": rng.choice(NOUNS), "task": rng.choice(TASKS)}
    pattern = rng.choice(PATTERNS)
    return pattern.format(**words), acro if "{acro}" in pattern else None


def summary_of(rng: random.Random, name: str | None) -> list[str]:
    """1-4 paragraphs of a few hundred Chinese characters, in the seed's manner."""
    (a, a_en), (b, _) = rng.sample(TERMS, 2)
    aspect, aspect2 = rng.sample(ASPECTS, 2)
    words = {
        "a": f"{a}（{a_en}）",  # the English term beside the first mention only, as the seed does
        "a0": a,
        "b": b,
        "m": name or "该框架",
        "new": name or "一种新的框架",
        "scene": rng.choice(SCENES),
        "trouble": rng.choice(TROUBLES),
        "aspect": aspect,
        "aspect2": aspect2,
    }
    first = [rng.choice(OPENINGS + [NAMED] * (name is not None)), *rng.sample(MIDDLES, rng.randint(1, 3))]
    paragraphs = ["".join(first).format(**words)]
    count = rng.choices([1, 2, 3, 4], weights=[45, 25, 20, 10])[0]
    if count >= 3:
        paragraphs[0] += "具体来说，它关注以下几个关键挑战："
        for point in rng.sample(POINTS, count - 2):
            paragraphs.append(point.format(**{**words, "aspect": rng.choice(ASPECTS)}))
    if count >= 2:
        chosen = rng.sample(METHODS, rng.randint(1, 2))
        paragraphs.append("".join(m for m in METHODS if m in chosen).format(**words))
    else:
        paragraphs[0] += rng.choice(METHODS).format(**words)
    return paragraphs


def note_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        candidate = "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(23))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def frontmatter(nid: str, title: str, created_ms: int, updated_ms: int) -> str:
    return f"---\nid: {nid}\ntitle: '{title}'\ndesc: ''\nupdated: {updated_ms}\ncreated: {created_ms}\n---\n"


@dataclass
class Built:
    notes: int = 0
    sections: int = 0
    bytes: int = 0
    images: int = 0


def section(rng: random.Random, n: int, built: Built, images: Path, titles: set[str], used: set[str]) -> str:
    """A hand-written section (figure number `n`) of a paper no other section has, its image written."""
    title, name = title_of(rng)
    while title.lower() in titles:  # two sections of one paper are a problem check reports
        title, name = title_of(rng)
    titles.add(title.lower())
    tag = rng.choices(TAGS, weights=TAG_WEIGHTS)[0]
    used.add(tag)
    image = png(built.images)
    built.images += 1
    digest = sha256(image).hexdigest()
    (images / f"{digest}.png").write_bytes(image)
    built.sections += 1
    gap, after = rng.choice(["\n", "\n\n"]), rng.choice(["\n", "\n\n"])  # as loose as the seed's
    head = f"\n## {title}{gap}#{tag}\n{after}![图 {n}](../images/{digest}.png)  \n\n"
    return head + "\n\n".join(summary_of(rng, name)) + "\n\n"


def build_large_note(ws: Path, sections: int, seed: int, day: date) -> Built:
    """One daily note of `day` with `sections` sections (a person who keeps every paper in one note)."""
    rng = random.Random(seed)
    images, built, titles, used = ws / "images", Built(), set(), set()
    images.mkdir(exist_ok=True)
    parts = [frontmatter(note_id(rng, set()), f"{day:%Y%m%d}", 1_700_000_000_000, 1_700_000_000_000), "\n"]
    parts += [section(rng, n, built, images, titles, used) for n in range(sections)]
    text = "".join(parts).rstrip("\n") + "\n"
    (ws / "notes" / f"papers.{day:%Y%m%d}.md").write_text(text, encoding="utf-8")
    for tag in sorted(used):
        (ws / "notes" / f"tags.{tag}.md").write_text(frontmatter(note_id(rng, set()), tag, 1, 1))
    built.notes, built.bytes = 1, len(text.encode("utf-8"))
    return built


def build_vault(ws: Path, notes: int, seed: int, today: date) -> Built:
    """Daily notes for the `notes` days before `today`, their tag notes and images, in an initialised workspace."""
    rng = random.Random(seed)
    vault, images = ws / "notes", ws / "images"
    images.mkdir(exist_ok=True)
    root = (vault / "root.md").read_text(encoding="utf-8")
    taken = {line.split(": ", 1)[1] for line in root.splitlines() if line.startswith("id: ")}
    built = Built()
    used: set[str] = set()  # tags, for their tags.<tag>.md notes
    titles: set[str] = set()
    for back in range(notes, 0, -1):
        day = today - timedelta(days=back)
        evening = datetime(day.year, day.month, day.day, 21, tzinfo=UTC)
        created = int(evening.timestamp() * 1000) + rng.randrange(3_600_000)
        updated = created + rng.randrange(60_000, 7_200_000)
        parts = [frontmatter(note_id(rng, taken), f"{day:%Y%m%d}", created, updated), "\n"]
        for n in range(rng.choices([3, 4, 5, 6, 7], weights=[10, 20, 40, 20, 10])[0]):
            parts.append(section(rng, n, built, images, titles, used))
        text = "".join(parts).rstrip("\n") + "\n"
        (vault / f"papers.{day:%Y%m%d}.md").write_text(text, encoding="utf-8")
        built.notes += 1
        built.bytes += len(text.encode("utf-8"))
    start_ms = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp() * 1000)
    for tag in sorted(used):
        about = f"\n论文笔记中标为 #{tag} 的条目。\n" if rng.random() < 0.3 else ""
        (vault / f"tags.{tag}.md").write_text(frontmatter(note_id(rng, taken), tag, start_ms, start_ms) + about)
    return built


# -- timing ------------------------------------------------------------------------------------------------


@dataclass
class Workspace:
    name: str
    path: Path
    drafted: list[str] = field(default_factory=list)
    days: int = 0
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    odd: list[str] = field(default_factory=list)  # unexpected exit codes, with stderr's last line


class Bench:
    def __init__(self, arxiv: FakeArxiv, pdf: Path, env: dict[str, str], today: date, timeout: float) -> None:
        self.arxiv, self.pdf, self.env, self.today, self.timeout = arxiv, pdf, env, today, timeout
        self.cli = [str(Path(sys.executable).with_name("notegen"))]
        if not Path(self.cli[0]).exists():
            self.cli = [sys.executable, "-m", "notegen"]
        self.served = 0

    def run(self, ws: Workspace, name: str, phase: str, args: list[str]) -> None:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [*self.cli, *args], cwd=ws.path, env=self.env, capture_output=True, text=True, timeout=self.timeout
            )
            code, tail = done.returncode, ((done.stderr or done.stdout).strip().splitlines() or [""])[-1]
        except subprocess.TimeoutExpired:
            code, tail = -1, f"timed out after {self.timeout:.0f} s"
        ws.times.setdefault((name, phase), []).append(time.perf_counter() - start)
        if code not in EXPECTED_EXIT[name]:
            ws.odd.append(f"{ws.name} {name} {phase}: exit {code}: {tail[:120]}")

    def new_paper(self) -> str:
        arxiv_id = f"2611.{self.served:05d}"
        self.served += 1
        self.arxiv.add(arxiv_id, PAPER_TITLE, self.pdf)
        return arxiv_id

    def new_day(self, ws: Workspace) -> str:
        ws.days += 1
        return f"{self.today + timedelta(days=ws.days - 1):%Y-%m-%d}"

    def command(self, ws: Workspace, name: str) -> None:
        """The command cold (its workspace's .notegen deleted first), then warm."""
        shutil.rmtree(ws.path / ".notegen", ignore_errors=True)
        for phase in ("cold", "warm"):
            if name == "draft":
                arxiv_id = self.new_paper()
                self.run(ws, name, phase, ["draft", arxiv_id, "--date", self.new_day(ws), "--refresh", "-q"])
                ws.drafted.append(arxiv_id)
            elif name == "regen":
                self.run(ws, name, phase, ["regen", ws.drafted[-1], "-q"])
            else:
                self.run(ws, name, phase, [name, "-q"])

    def start_up(self, ws: Workspace) -> None:
        self.run(ws, "--version", "", ["--version"])
        self.run(ws, "refused", "", ["draft", REFUSED])


def loopback_env(arxiv: FakeArxiv, llm: FakeLLM) -> dict[str, str]:
    """The environment without the person's notegen and OpenAI settings (each workspace keeps its own .notegen)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTEGEN_", "OPENAI_"))}
    return {
        **env,
        "NOTEGEN_ARXIV_URL": f"{arxiv.url}/api/query",
        "NOTEGEN_PDF_URL": arxiv.url,
        "NOTEGEN_ARXIV_INTERVAL": "0",
        "OPENAI_BASE_URL": f"{llm.url}/v1",
        "OPENAI_API_KEY": "sk-loopback",
        "NOTEGEN_MODEL": "loopback-model",
    }


def report(empty: Workspace, big: Workspace, built: Built, build_s: float, args: argparse.Namespace) -> None:
    def median(ws: Workspace, key: tuple[str, str]) -> float:
        return statistics.median(ws.times[key])

    mb = built.bytes / 2**20
    print(
        f"vault: {built.notes} daily notes, {built.sections} sections, {mb:.1f} MB of notes, {built.images} images;"
        f" built in {build_s:.1f} s"
    )
    print(f"loopback model {args.llm_delay:g} s per answer, arXiv unpaced; median of {args.repeat}, runs interleaved")
    print(f"{'command':16} {'empty s':>8} {'vault s':>8} {'ratio':>6}   target")
    for name in COMMANDS:
        for phase in ("cold", "warm"):
            e, v = median(empty, (name, phase)), median(big, (name, phase))
            target = TARGETS.get((name, phase))
            if target and built.notes >= 10_000:  # the allowance for a vault of decades: 1.5 times the ratio
                target *= 1.5
            verdict = f"<= {target:g}x  {'ok' if v / e <= target else 'MISSED'}" if target else ""
            print(f"{name + ' ' + phase:16} {e:8.2f} {v:8.2f} {v / e:6.2f}   {verdict}".rstrip())
    version = {ws.name: median(ws, ("--version", "")) for ws in (empty, big)}
    refused = {ws.name: median(ws, ("refused", "")) for ws in (empty, big)}
    shown = f"{version['empty']:8.2f} {version['vault']:8.2f} {version['vault'] / version['empty']:6.2f}"
    print(f"{'--version':16} {shown}")
    times = " / ".join(f"{refused[k] / version[k]:.2f}x" for k in ("empty", "vault"))
    worst = max(refused[k] / version[k] for k in refused)
    print(
        f"{'refused input':16} {refused['empty']:8.2f} {refused['vault']:8.2f} "
        f"{refused['vault'] / refused['empty']:6.2f}   <= 2x --version  {'ok' if worst <= 2 else 'MISSED'}"
        f" ({times} --version)"
    )
    odd = empty.odd + big.odd
    for line in odd[:3]:
        print(f"  unexpected: {line}")
    if len(odd) > 3:
        print(f"  ... and {len(odd) - 3} more unexpected exit codes")


def large_note(bench: Bench, empty: Workspace, root: Path, args: argparse.Namespace) -> None:
    """One paper drafted into (appended to) and regenerated in a note of many sections, beside the same in an
    empty workspace: the cost should grow with the note's size no faster than reading it once does."""
    day = bench.today
    sizes = sorted({max(1, args.large_note // 4), args.large_note})
    rows = []
    for sections in sizes:
        ws = Workspace(f"large-{sections}", root / f"large-{sections}")
        subprocess.run([*bench.cli, "init", "-q", str(ws.path)], env=bench.env, capture_output=True, check=False)
        built = build_large_note(ws.path, sections, args.seed, day)
        for _ in range(max(1, args.repeat)):
            for target in (empty, ws):
                for phase in ("first", "again"):  # the first builds the index
                    arxiv_id = bench.new_paper()
                    bench.run(target, "draft", phase, ["draft", arxiv_id, "--date", f"{day:%Y-%m-%d}", "-q"])
                    target.drafted.append(arxiv_id)
                date_arg = ["--date", f"{day:%Y-%m-%d}"]
                bench.run(target, "regen", "again", ["regen", target.drafted[-1], *date_arg, "-q"])
        rows.append((sections, built.bytes / 2**20, ws))
    print(f"loopback model {args.llm_delay:g} s per answer, arXiv unpaced; median of {args.repeat}")
    print(f"{'note':28} {'draft 1st':>9} {'draft':>7} {'regen':>7}   (seconds; empty workspace's note beside)")
    e = {k: statistics.median(v) for k, v in empty.times.items()}
    print(f"{'empty workspace':28} {e['draft', 'first']:9.2f} {e['draft', 'again']:7.2f} {e['regen', 'again']:7.2f}")
    for sections, mb, ws in rows:
        t = {k: statistics.median(v) for k, v in ws.times.items()}
        extra = (t["draft", "again"] - e["draft", "again"]) / mb
        print(
            f"{f'{sections} sections, {mb:.1f} MB':28} {t['draft', 'first']:9.2f} {t['draft', 'again']:7.2f}"
            f" {t['regen', 'again']:7.2f}   draft +{extra:.2f} s per MB"
        )
    for line in [*empty.odd, *(line for _, _, ws in rows for line in ws.odd)][:3]:
        print(f"  unexpected: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1000, help="daily notes in the vault")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command in each workspace")
    parser.add_argument("--llm-delay", type=float, default=2.0, help="seconds the loopback model takes to answer")
    parser.add_argument("--seed", type=int, default=0, help="for the vault's titles, tags, summaries and ids")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one command may take")
    parser.add_argument("--out", type=Path, help="build the workspaces here and keep them (default: a temp dir)")
    parser.add_argument(
        "--large-note",
        type=int,
        metavar="SECTIONS",
        help="instead: draft into and regen in one note of SECTIONS sections (and of a quarter as many)",
    )
    args = parser.parse_args()
    if args.out is not None and any((args.out / name).exists() for name in ("empty", "vault")):
        parser.error(f"{args.out} already has empty/ or vault/; choose another --out")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out if args.out is not None else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        (Path(tmp) / "pdfs").mkdir()
        arxiv, llm = FakeArxiv(Path(tmp) / "pdfs"), FakeLLM()
        with arxiv, llm:
            llm.delay = args.llm_delay
            pdf = corpus_papers().get(PAPER, (PAPER_TITLE, None))[1]
            if pdf is None:  # without ../shared: a generated paper with the same title
                pdf = paper(Path(tmp) / "paper.pdf", title=PAPER_TITLE)
            today = datetime.now(UTC).date()
            bench = Bench(arxiv, pdf, loopback_env(arxiv, llm), today, args.timeout)
            start = time.perf_counter()
            workspaces = []
            for name in ("empty", "vault"):
                init = [*bench.cli, "init", "-q", str(root / name)]
                subprocess.run(init, env=bench.env, capture_output=True, check=False)
                workspaces.append(Workspace(name, root / name))
            empty, big = workspaces
            if args.large_note:
                large_note(bench, empty, root, args)
                return
            built = build_vault(big.path, args.notes, args.seed, today)
            build_s = time.perf_counter() - start
            for _ in range(max(1, args.repeat)):
                for name in COMMANDS:
                    for ws in workspaces:
                        bench.command(ws, name)
                for ws in workspaces:
                    bench.start_up(ws)
            report(empty, big, built, build_s, args)


if __name__ == "__main__":
    main()
