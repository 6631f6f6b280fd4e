"""Figure N of a paper, found from its caption and rendered to PNG.

The package's modules, each with one concern: geometry (the page in points: boxes, lines, the body's type, the
page's head and foot, columns, bands; pure), captions (caption labels, reading a caption whole, notes and source
lines; pure), growth (how far a figure reaches on the ink rows; pure), ink (a page area rendered as ink maps, and
the PNG), page (a page's text read from the PDF), locate (where the figure is next to its caption), doubt (why a
crop may not be the figure, why there is none) and finder (the document: pages, turned views, the figure as shown).
"""

from notegen.figure.doubt import Doubt, NoFigure, doubt_of
from notegen.figure.finder import Figure, find_figure
from notegen.figure.geometry import Box
from notegen.figure.page import page_ink

__all__ = ["Box", "Doubt", "Figure", "NoFigure", "doubt_of", "find_figure", "page_ink"]
