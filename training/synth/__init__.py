"""Synthetic 政府信息公开工作年度报告 with exact gold labels, deterministic from a seed.

Stages, one module each: `content` (field values + agency, satisfying the 勾稽 constraints) →
`report` (blocks: title, narrative, headings, tables from `tables`) → a renderer: text
`layouts` + the `noise` model (labelled `pieces`, so offsets stay exact), `html`, `pdf`, `scan`
→ `corpus` writes samples and gold. `cli.synth_command` is the entry point.
"""
