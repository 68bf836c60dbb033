"""Scanned and photographed reports: rasterise a synthetic PDF at 100–300 dpi and degrade each
page like a photocopier or a phone photo — skew, slight perspective, blur, noise, uneven
lighting, JPEG artefacts, a red official seal stamped over table 3 — then wrap the pages as an
image-only PDF (no text layer)."""
from __future__ import annotations

import io
import math
import random

import cv2
import img2pdf
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from gongkai.training.synth.pdf import SANS, SERIF, _find

__all__ = ["render_scan", "degrade_page"]


def _seal(size: int, text: str, rng: random.Random) -> np.ndarray:
    """An RGBA red round seal: ring, five-pointed star, the agency name along the upper arc."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    red = (rng.randint(190, 235), rng.randint(10, 50), rng.randint(20, 60), rng.randint(150, 210))
    w = max(2, size // 28)
    d.ellipse((w, w, size - w, size - w), outline=red, width=w)
    cx = cy = size / 2
    r = size * 0.16
    pts = [(cx + r * math.cos(math.radians(-90 + k * 144)), cy + r * math.sin(math.radians(-90 + k * 144)))
           for k in range(5)]
    d.polygon(pts, fill=red)
    font_path = _find(SANS) or _find(SERIF)
    fs = max(8, int(size * 0.11))
    font = ImageFont.truetype(font_path, fs) if font_path else ImageFont.load_default()
    chars = list(text)[:16]
    span = min(250.0, 14.0 * len(chars) + 40)
    for k, ch in enumerate(chars):
        ang = -90 - span / 2 + span * (k + 0.5) / len(chars)
        rad = size / 2 - w * 2 - fs * 0.7
        x, y = cx + rad * math.cos(math.radians(ang)), cy + rad * math.sin(math.radians(ang))
        glyph = Image.new("RGBA", (fs * 2, fs * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((fs // 2, fs // 2), ch, font=font, fill=red)
        glyph = glyph.rotate(-(ang + 90), resample=Image.BICUBIC)
        img.alpha_composite(glyph, (int(x - fs), int(y - fs)))
    return np.asarray(img)


def _stamp(page: np.ndarray, seal: np.ndarray, x: int, y: int) -> np.ndarray:
    h, w = seal.shape[:2]
    H, W = page.shape[:2]
    x, y = max(0, min(W - w, x)), max(0, min(H - h, y))
    roi = page[y:y + h, x:x + w].astype(np.float32)
    a = seal[..., 3:4].astype(np.float32) / 255.0
    ink = seal[..., :3].astype(np.float32)
    # ink multiplies with what is under it, so printed text stays visible through the seal
    page[y:y + h, x:x + w] = (roi * (1 - a) + (roi * ink / 255.0) * a).astype(np.uint8)
    return page


def degrade_page(img: np.ndarray, mode: str, rng: random.Random, np_rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Degrade one RGB page image; returns (image, what was done)."""
    h, w = img.shape[:2]
    desc: dict = {"mode": mode}
    bg = (255, 255, 255) if mode == "photocopy" else tuple(int(v) for v in np_rng.integers(60, 140, 3))
    # perspective (phone) or plain skew (copier)
    angle = rng.uniform(-3, 3)
    desc["skew_deg"] = round(angle, 2)
    if mode == "phone":
        m = rng.uniform(0.01, 0.04)
        desc["perspective"] = round(m, 3)
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        jit = lambda: rng.uniform(0, m) * w  # noqa: E731
        pad = rng.uniform(0.02, 0.045) * w
        dst = np.float32([[pad + jit(), pad + jit()], [w + pad - jit(), pad + jit()],
                          [w + pad - jit(), h + pad - jit()], [pad + jit(), h + pad - jit()]])
        M = cv2.getPerspectiveTransform(src, dst)
        img = cv2.warpPerspective(img, M, (int(w + 2 * pad), int(h + 2 * pad)), borderValue=bg,
                                  flags=cv2.INTER_LINEAR)
        h, w = img.shape[:2]
    R = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, R, (w, h), borderValue=bg, flags=cv2.INTER_LINEAR)
    f = img.astype(np.float32)
    # uneven lighting: a smooth gradient plus a vignette
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    strength = rng.uniform(0.05, 0.18) if mode == "phone" else rng.uniform(0.0, 0.08)
    light = 1 - strength * (0.5 + 0.5 * (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)))
    if mode == "phone":
        d2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2)
        light *= 1 - rng.uniform(0.1, 0.3) * d2
        tint = np.array([rng.uniform(0.93, 1.0), rng.uniform(0.93, 1.0), rng.uniform(0.88, 1.0)], np.float32)
        f *= tint
    f *= light[..., None]
    desc["lighting"] = round(strength, 3)
    if mode == "photocopy":
        g = f.mean(axis=2, keepdims=True)
        c = rng.uniform(1.1, 1.4)
        g = (g - 128) * c + 128 + rng.uniform(-10, 15)
        f = np.repeat(g, 3, axis=2)
        desc["contrast"] = round(c, 2)
    sigma = rng.uniform(0.3, 1.2) * (w / 1700)
    desc["blur_sigma"] = round(sigma, 2)
    f = cv2.GaussianBlur(f, (0, 0), max(0.3, sigma))
    ns = rng.uniform(3, 12)
    f += np_rng.normal(0, ns, f.shape[:2])[..., None].astype(np.float32)
    desc["noise_sigma"] = round(ns, 1)
    if mode == "photocopy":  # toner specks
        n = int(w * h * rng.uniform(2e-5, 1e-4))
        ys, xs = np_rng.integers(0, h, n), np_rng.integers(0, w, n)
        f[ys, xs] = rng.uniform(0, 80)
    img = np.clip(f, 0, 255).astype(np.uint8)
    return img, desc


def render_scan(pdf: bytes, rng: random.Random, np_rng: np.random.Generator, seal_text: str,
                t3_pages: list[int], dpis: tuple[int, ...] = (100, 150, 200, 300)) -> tuple[bytes, dict, list[bytes]]:
    """Rasterise + degrade every page; return (image-only PDF, degradation descriptor, JPEG pages)."""
    dpi = rng.choice(dpis)
    mode = rng.choice(("photocopy", "photocopy", "phone"))
    gray = mode == "photocopy" and rng.random() < 0.5
    quality = rng.randint(35, 85)
    doc = pdfium.PdfDocument(pdf)
    seal_page = (t3_pages[-1] if t3_pages and rng.random() < 0.7 else len(doc))
    jpgs, descs = [], []
    for i in range(len(doc)):
        page = doc[i]
        img = np.array(page.render(scale=dpi / 72).to_pil().convert("RGB"))
        if i + 1 == seal_page:
            size = int(dpi * rng.uniform(1.45, 1.7))  # a 4 cm seal
            seal = _seal(size, seal_text, rng)
            H, W = img.shape[:2]
            img = _stamp(img, seal, int(W * rng.uniform(0.45, 0.7)), int(H * rng.uniform(0.35, 0.75)))
        img, d = degrade_page(img, mode, rng, np_rng)
        descs.append(d)
        pil = Image.fromarray(img)
        if gray:
            pil = pil.convert("L")
        b = io.BytesIO()
        pil.save(b, format="JPEG", quality=quality, optimize=False)
        jpgs.append(b.getvalue())
    doc.close()
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    data = img2pdf.convert(jpgs, layout_fun=layout, nodate=True, engine=img2pdf.Engine.internal)  # no dates: same seed, same bytes
    return data, {"dpi": dpi, "mode": mode, "gray": gray, "jpeg_quality": quality, "seal_page": seal_page, "pages": descs}, jpgs

