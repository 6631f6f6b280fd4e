import pytest
from hypothesis import given
from hypothesis import strategies as st

from notegen.claims import material_of, named_zh, review_detail, unsupported
from notegen.note import OPENING, SUMMARY_DOUBTS
from notegen.summarize import Inputs

# Papers as the model sees them (abstracts written for these tests, in the style of arXiv), each with a faithful
# summary and the changes a careless model makes to it: what they must flag, and only that.
ADAPTERS = Inputs(
    title="SMoA: Sparse Mixture-of-Adapters for Efficient Instruction Tuning of Large Language Models",
    abstract=(
        "Large language models (LLMs) follow instructions well after fine-tuning, but full fine-tuning of a 7B "
        "model needs more than 80 GB of GPU memory. We propose SMoA, a sparse mixture of low-rank adapters that "
        "activates only two of eight experts per token. On MMLU, SMoA reaches 63.4% accuracy with Llama-2-7B, "
        "1.8 points above LoRA, while training 3.2x faster and updating 0.6% of the parameters. Across three "
        "benchmarks (MMLU, GSM8K and HumanEval) it matches full fine-tuning at a fraction of the cost."
    ),
    introduction=(
        "Instruction tuning adapts pretrained LLMs to follow natural-language instructions [12, 35]. "
        "Parameter-efficient fine-tuning (PEFT) methods such as LoRA (Hu et al., 2021) freeze the backbone and "
        "train small low-rank updates, yet a single adapter must serve every task. A mixture of experts routes "
        "each token to a few specialised sub-networks and has scaled Transformers to trillions of parameters."
    ),
    caption="Figure 1: Overview of SMoA. A router picks the top-2 of 8 adapters for each token.",
)
ADAPTERS_SUMMARY = (
    f"{OPENING}大语言模型（LLM）指令微调的显存开销过大：对7B模型做全参数微调需要超过80GB的GPU显存。"
    "论文提出了SMoA，一种稀疏的低秩适配器混合（MoE）方法，每个token只激活8个专家中的2个。\n\n"
    "在MMLU上，SMoA基于Llama-2-7B达到63.4%的准确率，比LoRA高1.8个点，训练速度快3.2倍，只更新0.6%的参数，"
    "并在3个基准（MMLU、GSM8K和HumanEval）上与全参数微调相当。"
)

SEGMENTATION = Inputs(
    title="PolySeg: Open-Vocabulary Panoptic Segmentation with Polygon Queries",
    abstract=(
        "We introduce PolySeg, a query-based model for open-vocabulary panoptic segmentation. Trained on COCO "
        "Panoptic with 133 categories, PolySeg transfers to ADE20K, Cityscapes and Mapillary Vistas without "
        "fine-tuning. It achieves 27.9 PQ on ADE20K, surpassing the previous best by 4.1 PQ, and runs at 18 FPS "
        "on a single A100 GPU. Code: https://github.com/example/polyseg."
    ),
    introduction=(
        "Panoptic segmentation unifies semantic and instance segmentation (Kirillov et al., 2019). Closed-set "
        "models such as Mask2Former recognise only the categories seen in training. Recent open-vocabulary "
        "methods pair a Vision Transformer (ViT) backbone with the text encoder of CLIP, but predict masks "
        "pixel by pixel, which is slow at high resolution."
    ),
    caption="Figure 1. PolySeg predicts each segment as a polygon of 64 vertices instead of a dense mask.",
)
SEGMENTATION_SUMMARY = (
    f"{OPENING}开放词汇全景分割（open-vocabulary panoptic segmentation）：在COCO的133个类别上训练的模型，"
    "如何不经微调就迁移到ADE20K、Cityscapes和Mapillary Vistas等新数据集。现有方法把ViT主干和CLIP的文本编码器"
    "结合起来，但逐像素预测掩码，在高分辨率下很慢。\n\n"
    "论文提出了基于查询的PolySeg，把每个区域预测为64个顶点的多边形，在ADE20K上达到27.9 PQ，比此前最好的方法高4.1 PQ，"
    "并在单张A100 GPU上以18 FPS运行。代码见 https://github.com/example/polyseg 。"
)

SUPERCONDUCTOR = Inputs(
    title="Superconductivity in Twisted Bilayer WSe2",
    abstract=(
        "We report superconductivity in twisted bilayer WSe2 with a twist angle of 3.65°. Transport measurements "
        "down to 20 mK reveal a zero-resistance state below a critical temperature of 426 mK over a density range "
        "of 1.2-1.8 × 10^12 cm^-2. The transition is tuned by the displacement field and peaks at D = 0.3 V/nm. "
        "Our results establish transition metal dichalcogenides (TMDs) as a platform for correlated physics "
        "beyond graphene."
    ),
    introduction=(
        "Moiré materials host flat bands in which interactions dominate. Since the discovery of correlated "
        "insulators and superconductivity in magic-angle twisted bilayer graphene in 2018, the search has turned "
        "to semiconducting TMDs, whose strong spin-orbit coupling and large effective mass favour flat bands "
        "at larger twist angles."
    ),
    caption="FIG. 1. Device schematic and longitudinal resistance versus temperature for five densities.",
)
SUPERCONDUCTOR_SUMMARY = (
    f"{OPENING}：除石墨烯之外，过渡金属硫族化合物（TMD）的莫尔体系中能否出现超导。自2018年在魔角双层石墨烯中"
    "发现关联绝缘态和超导以来，人们转向了自旋轨道耦合更强的半导体TMD。论文在扭转角为3.65°的双层WSe2中，"
    "在低至20 mK的输运测量中观察到临界温度为426 mK的零电阻态，载流子密度范围为1.2-1.8×10^12 cm^-2，"
    "并且超导可由位移场调控，在D = 0.3 V/nm处最强。"
)

CELLS = Inputs(
    title="A Single-Cell Atlas of Tumour-Infiltrating T Cells in Colorectal Cancer",
    abstract=(
        "Single-cell RNA sequencing (scRNA-seq) has mapped immune cells in many tumours, but the states of "
        "CD8+ T cells that predict response to immunotherapy remain unclear. We profiled 48,213 cells from "
        "12 donors and identified a previously uncharacterised population of CD8+ T cells expressing GZMK. "
        "Its abundance predicted response to anti-PD-1 therapy in an independent cohort of 37 patients "
        "(AUC = 0.81, p < 0.001)."
    ),
    introduction=(
        "Immune checkpoint blockade benefits only about 15% of patients with colorectal cancer. Since the first "
        "atlas of 2018, studies using the 10x Genomics Chromium platform have described exhausted and memory "
        "states, yet none has followed the same patients through treatment."
    ),
    caption="Figure 1: UMAP of all 48,213 cells coloured by the 9 clusters found with Leiden clustering.",
)
CELLS_SUMMARY = (
    f"{OPENING}：在结直肠癌中，哪些CD8+ T细胞状态能预测免疫治疗的疗效。免疫检查点阻断只对约15%的患者有效，"
    "而现有的单细胞RNA测序（scRNA-seq）研究虽然描述了耗竭和记忆状态，却没有在治疗过程中追踪同一批患者。"
    "论文分析了来自12名供者的约4.8万个细胞，发现了一群表达GZMK的CD8+ T细胞，其丰度在37名患者的独立队列中"
    "预测了抗PD-1治疗的应答（AUC = 0.81，p < 0.001）。"
)

PAPERS = [
    pytest.param(ADAPTERS, ADAPTERS_SUMMARY, id="llm"),
    pytest.param(SEGMENTATION, SEGMENTATION_SUMMARY, id="vision"),
    pytest.param(SUPERCONDUCTOR, SUPERCONDUCTOR_SUMMARY, id="physics"),
    pytest.param(CELLS, CELLS_SUMMARY, id="biology"),
]


@pytest.mark.parametrize(("paper", "summary"), PAPERS)
def test_a_faithful_summary_raises_no_alarm(paper, summary):
    assert unsupported(summary, material_of(paper)) == []


@pytest.mark.parametrize(
    ("paper", "summary", "change", "flagged"),
    [
        (ADAPTERS, ADAPTERS_SUMMARY, ("63.4%", "65.4%"), ["65.4%"]),
        (ADAPTERS, ADAPTERS_SUMMARY, ("GSM8K", "GSM8K、TruthfulQA"), ["TruthfulQA"]),
        (ADAPTERS, ADAPTERS_SUMMARY, ("论文提出了SMoA", "论文在QLoRA的基础上提出了SMoA"), ["QLoRA"]),
        (ADAPTERS, ADAPTERS_SUMMARY, ("Llama-2-7B", "Llama-2-13B"), ["Llama-2-13B"]),
        (ADAPTERS, ADAPTERS_SUMMARY, ("快3.2倍", "快3.5倍"), ["3.5"]),
        (ADAPTERS, ADAPTERS_SUMMARY, ("3个基准", "4个基准"), ["4"]),
        (SEGMENTATION, SEGMENTATION_SUMMARY, ("ADE20K上", "ADE30K上"), ["ADE30K"]),
        (SEGMENTATION, SEGMENTATION_SUMMARY, ("27.9 PQ", "29.7 PQ"), ["29.7"]),
        (SEGMENTATION, SEGMENTATION_SUMMARY, ("Vistas", "Vistas和Pascal Context"), ["Pascal", "Context"]),
        (SEGMENTATION, SEGMENTATION_SUMMARY, ("ViT主干", "Swin-L主干"), ["Swin-L"]),
        (SUPERCONDUCTOR, SUPERCONDUCTOR_SUMMARY, ("自2018年", "自2017年"), ["2017"]),
        (SUPERCONDUCTOR, SUPERCONDUCTOR_SUMMARY, ("双层WSe2", "双层MoTe2"), ["MoTe2"]),
        (SUPERCONDUCTOR, SUPERCONDUCTOR_SUMMARY, ("426 mK", "1.5 mK"), ["1.5"]),
        (CELLS, CELLS_SUMMARY, ("12名供者", "14名供者"), ["14"]),
        (CELLS, CELLS_SUMMARY, ("表达GZMK", "表达GZMB"), ["GZMB"]),
        (CELLS, CELLS_SUMMARY, ("约4.8万个细胞", "约5.2万个细胞"), ["5.2万"]),
        (CELLS, CELLS_SUMMARY, ("AUC = 0.81", "AUC = 0.91"), ["0.91"]),
    ],
)
def test_what_the_paper_does_not_say_is_flagged(paper, summary, change, flagged):
    old, new = change
    assert old in summary
    assert unsupported(summary.replace(old, new), material_of(paper)) == flagged


def test_claims_come_in_order_each_once():
    summary = f"{OPENING}在FooNet上提升了17%，FooNet在BarSet上提升了17%，并在1999年发布。"
    assert unsupported(summary, material_of(ADAPTERS)) == ["FooNet", "17%", "BarSet", "1999"]


@pytest.mark.parametrize(
    ("summary", "material"),
    [
        ("", "anything"),
        ("", ""),
        (f"{OPENING}：长视频理解中，现有多模态模型难以在有限的上下文里保留关键事件。", ""),
        ("第一阶段预测运动轨迹，第二阶段生成三段动画。", "We predict motion trajectories in one stage."),
    ],
)
def test_no_digits_and_no_latin_letters_no_claims(summary, material):
    assert unsupported(summary, material) == []


def test_without_material_every_claim_is_unsupported():
    summary = f"{OPENING}在ImageNet上把ResNet-50的准确率提升了3.5%（从76.1到79.6），ImageNet之外还有COCO。"
    assert unsupported(summary, "") == ["ImageNet", "ResNet-50", "3.5%", "76.1", "79.6", "COCO"]


@pytest.mark.parametrize(
    ("summary", "material", "flagged"),
    [
        ("提升了１２３％", "a gain of 123%", []),
        ("提升了１２３％", "", ["123%"]),
        ("在ＣＯＣＯ上达到４５．１", "45.1 AP on COCO", []),
        ("从１，２，３中选择", "choose 1 of 2 or 3", []),  # a full-width comma is not a thousands separator
        ("1,000张图像", "1000 images", []),
        ("1000张图像", "1,000 images", []),
        ("12,345张图像", "12345 images", []),
        ("95.30分", "a score of 95.3", []),
        ("95.3%的准确率", "an accuracy of 95.3", []),
        ("95.3%的准确率", "an accuracy of 0.953", []),
        ("0.953的准确率", "an accuracy of 95.3%", []),
        ("95.3%的准确率", "an accuracy of 95.4%", ["95.3%"]),
        ("3-5层", "3 to 5 layers", []),
        ("3～5层", "between 3 and 5 layers", []),
        ("3-6层", "3 to 5 layers", ["3-6"]),
        ("1-2%的提升", "gains of 1% and 2%", []),
        ("快1.5x", "1.5× faster", []),
        ("快3×", "3x faster", []),
        ("快10倍", "10-fold faster", []),
        ("快2倍", "twice as fast", []),
        ("3个基准", "three benchmarks", []),
        ("在13个数据集上", "on thirteen datasets", []),
        ("在21个数据集上", "on twenty-one datasets", ["21"]),
        ("第3阶段", "the third stage", []),
        ("3个数据集", "我们在三个数据集上评测", []),
        ("12个数据集", "十二个数据集", []),
        ("7B参数", "7 billion parameters", []),
        ("70亿参数", "a 7B model", []),
        ("1.2M张图像", "1,234,567 images", []),  # rounded
        ("约123万张图像", "1,234,567 images", []),
        ("学习率为1e-5", "a learning rate of 1e-5", []),
        ("学习率为1e-5", "a learning rate of 0.00001", []),
        ("学习率为1e-5", "a learning rate of 2e-5", ["1e-5"]),
        ("准确率约95%", "95.3% accuracy", []),  # rounded
        ("提升约3%", "a 3.2% gain", []),
        ("3个数据集", "3.4 points on datasets", ["3"]),  # a count is never rounded
        ("96.3%", "95.3% accuracy", ["96.3%"]),
        ("2023年", "in 2023,", []),
        ("2401.16420", "arXiv:2401.16420", []),
        ("2401.16421", "arXiv:2401.16420", ["2401.16421"]),
        ("16层", "ViT-B/16", []),  # a number inside a name is still said
        ("-0.5的相关性", "a correlation of -0.5", []),
        ("（提升了12）", "", ["12"]),  # a number in brackets is no list numbering
    ],
)
def test_numbers(summary, material, flagged):
    assert unsupported(summary, material) == flagged


@pytest.mark.parametrize(
    ("summary", "material", "flagged"),
    [
        ("基于ResNet50", "a ResNet-50 backbone", []),
        ("基于ResNet-50", "a ResNet50 backbone", []),
        ("基于resnet_50", "a ResNet 50 backbone", []),
        ("基于ResNet-101", "a ResNet-50 backbone", ["ResNet-101"]),
        ("基于UNet", "a U-Net", []),
        ("MS-COCO和MSCOCO", "MS COCO", []),
        ("在SQuAD v2.0上", "SQuAD 2.0", []),
        ("在SQuAD v1.1上", "SQuAD v2.0", ["v1.1"]),
        ("基于InternLM27B", "built on InternLM2-7B", []),
        ("对比GPT-4和gpt4", "compared with GPT-4", []),
        ("对比GPT-4", "compared with GPT-3.5", ["GPT-4"]),
        ("大语言模型（LLM）", "large language models", []),
        ("多个LLMs", "an LLM", []),
        ("视觉Transformer（ViT）", "Vision Transformer", []),
        ("ViT", " (Vision Transformer)", []),
        ("混合专家（MoE）", "a mixture of experts", []),
        ("RLHF训练", "reinforcement learning from human feedback", []),
        ("SOTA方法", "state-of-the-art methods", []),
        ("NeRF", "neural radiance fields", []),
        ("mAP", "the mean average precision", []),
        ("T2I和I2V", "text-to-image and image to video", []),
        ("T2V", "text-to-image", ["T2V"]),
        ("FSD", "for small datasets", ["FSD"]),  # an acronym's phrase begins with a word of its own
        ("LLM", "large. Language models", ["LLM"]),  # and does not cross a sentence
        ("ResNet", "residual networks", ["ResNet"]),  # not an acronym: a name must be written
        ("Transformer和token", "transformers split text into tokens", []),
        ("queries", "each query", []),
        ("zero-shot", "zero shot", []),
        ("Vision Mamba", "vision transformers", ["Mamba"]),
        ("Poincaré猜想", "the Poincaré conjecture", []),
        ("α-Net", "", ["Net"]),  # Greek letters are not read
    ],
)
def test_names(summary, material, flagged):
    assert unsupported(summary, material) == flagged


@pytest.mark.parametrize(
    "summary",
    [
        "详见 https://github.com/foo/FooNet2024/tree/v3 和 www.foo.org/x1",
        "![图 0](../images/365366c1bdf09b711f0eaaf3fc9e2cf7ee8d6b8a74efe9aa64ef98de46b07282.png)",
        "[项目主页](https://foo.github.io/v2) 见此",
        "一致性<sup>†</sup>问题<br/>",
        "1. 一致性问题\n2. 可控性问题\n13、效率问题",
        "（1）一致性；（2）可控性；③效率",
        "包括：1）一致性；2) 可控性",
        "如前人工作所述[12]，[3-5]",
    ],
)
def test_markdown_and_url_noise_is_no_claim(summary):
    assert unsupported(summary, "") == []


def test_the_title_is_part_of_the_material():
    material = material_of(Inputs("Motion-I2V: Image-to-Video Generation", "", "", ""))
    assert unsupported(f"{OPENING}图像到视频（Image-to-Video）生成中的Motion-I2V", material) == []


@pytest.mark.parametrize(
    ("claims", "reason", "detail"),
    [
        (
            ["95.3%", "FooNet"],
            "摘要提到了论文材料中没有的内容：95.3%、FooNet，请核对",
            "the summary states what the paper's abstract, introduction and caption do not: 95.3%, FooNet",
        ),
        (
            ["1", "2", "3", "4", "5"],
            "摘要提到了论文材料中没有的内容：1、2、3、4、5，请核对",
            "the summary states what the paper's abstract, introduction and caption do not: 1, 2, 3, 4, 5",
        ),
        (
            ["1", "2", "3", "4", "5", "6", "7"],
            "摘要提到了论文材料中没有的内容：1、2、3、4、5 等 7 处，请核对",
            "the summary states what the paper's abstract, introduction and caption do not: 1, 2, 3, 4, 5 and 2 more",
        ),
    ],
)
def test_review_texts(claims, reason, detail):
    assert SUMMARY_DOUBTS["unsupported claims"].format(named_zh(claims)) == reason
    assert review_detail(claims) == detail


def test_review_texts_need_a_claim():
    with pytest.raises(ValueError, match="no claims"):
        named_zh([])


# Tokens as a paper writes them; a Chinese summary may quote any of them.
_name = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}(?:[-_.'][A-Za-z0-9]{1,5}){0,2}", fullmatch=True)
_decimal = st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False)
_number = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(0, 10**9).map("{:,}".format),
    _decimal.map(str),
    _decimal.map(lambda d: f"{d}%"),
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map("{0[0]}-{0[1]}".format),
    st.tuples(_decimal.map(str), st.sampled_from(["x", "×", "K", "M", "B", "k", " billion", "e-5", "e3"])).map("".join),
)
_separator = st.sampled_from([" ", ", ", ". ", " (", ") ", "; ", " of ", "\n"])


@given(st.lists(st.tuples(st.one_of(_name, _number), _separator), min_size=1, max_size=30), st.data())
def test_a_token_of_the_material_quoted_in_chinese_is_never_flagged(parts, data):
    material = "".join(token + separator for token, separator in parts)
    token = data.draw(st.sampled_from([token for token, _ in parts]))
    summary = f"{OPENING}在{token}上，{token}的结果和{token}。"
    assert unsupported(summary, material) == []


@pytest.mark.parametrize(("paper", "summary"), PAPERS)
def test_every_word_of_the_material_quoted_in_chinese_is_never_flagged(paper, summary):
    material = material_of(paper)
    for token in {t.strip(".,;:()[]") for t in material.split()}:
        assert unsupported(f"{OPENING}在{token}上，{token}的结果。", material) == [], token


def test_a_lone_letter_is_a_variable_not_a_name():
    summary = "这篇论文试图解决的问题是：在《x》中，给定 N 个样本与 k 个类别。"
    assert unsupported(summary, "We study few-shot learning.") == []
