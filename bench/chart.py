"""chart.py - latency distributions as a hand-written SVG (no plotting
library to install).

One row per measured series: every sample as a dot, a line from min to max,
a box from p10 to p90 and a bar at the median, on a log-scale time axis
shared by all rows of a panel. Panels are lists of (label, stats, colour)
with stats as made by common.stats (samples included).
"""
import math
from xml.sax.saxutils import escape

ROW_H = 18
LABEL_W = 300
PLOT_W = 560
PAD = 14


def _ticks(lo, hi):
    t = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi:
                t.append(v)
        e += 1
    return t


def _fmt(v):
    if v >= 1000:
        return "%gs" % (v / 1000)
    return "%gms" % v


def svg(title, panels, note=""):
    """panels: [(panel title, [(label, stats, colour), ...]), ...]"""
    parts = []
    y = PAD + 22
    height = y
    for _, rows in panels:
        height += 40 + ROW_H * len(rows) + 30
    note = note or "dots: samples; box: p10-p90; bar: median; line: min-max; log scale"
    notes = note.split("\n")
    height += 16 + 14 * len(notes)
    width = LABEL_W + PLOT_W + 2 * PAD + 10
    parts.append('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                 'font-family="sans-serif" font-size="11">' % (width, height))
    parts.append('<rect width="100%" height="100%" fill="white"/>')
    parts.append('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>'
                 % (PAD, PAD + 10, escape(title)))
    for ptitle, rows in panels:
        vals = [x for _, s, _ in rows if s and s.get("samples") for x in s["samples"] if x > 0]
        if not vals:
            continue
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(max(vals)))
        x0 = PAD + LABEL_W

        def X(v):
            v = max(v, lo)
            return x0 + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * PLOT_W
        y += 18
        parts.append('<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>'
                     % (PAD, y, escape(ptitle)))
        y += 10
        top = y
        bottom = y + ROW_H * len(rows)
        for t in _ticks(lo, hi):
            major = abs(math.log10(t) - round(math.log10(t))) < 1e-9
            parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>'
                         % (X(t), top, X(t), bottom, "#bbb" if major else "#eee"))
            if major or len(_ticks(lo, hi)) <= 12:
                parts.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>'
                             % (X(t), bottom + 12, _fmt(t)))
        for i, (label, s, colour) in enumerate(rows):
            cy = top + i * ROW_H + ROW_H / 2
            if i % 2 == 0:
                parts.append('<rect x="%d" y="%.1f" width="%d" height="%d" fill="#f7f7f7"/>'
                             % (PAD, cy - ROW_H / 2, LABEL_W + PLOT_W, ROW_H))
            parts.append('<text x="%d" y="%.1f">%s</text>' % (PAD + 2, cy + 4, escape(label)))
            if not s or not s.get("samples"):
                parts.append('<text x="%d" y="%.1f" fill="#999">not available</text>'
                             % (x0 + 4, cy + 4))
                continue
            parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>'
                         % (X(s["min"]), cy, X(s["max"]), cy, colour))
            parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="8" fill="%s" '
                         'fill-opacity="0.25" stroke="%s"/>'
                         % (X(s["p10"]), cy - 4, max(1.0, X(s["p90"]) - X(s["p10"])), colour,
                            colour))
            for v in s["samples"]:
                parts.append('<circle cx="%.1f" cy="%.1f" r="1.8" fill="%s" fill-opacity="0.6"/>'
                             % (X(v), cy, colour))
            parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" '
                         'stroke-width="2"/>' % (X(s["median"]), cy - 6, X(s["median"]), cy + 6))
        y = bottom + 22
    for k, line in enumerate(notes):
        parts.append('<text x="%d" y="%d" fill="#555">%s</text>'
                     % (PAD, height - 12 - 14 * (len(notes) - 1 - k), escape(line)))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
