#!/usr/bin/env python3
"""Turns what check.sh left in its work folder into OUT_DIR/results.json and OUT_DIR/summary.md, prints the summary,
and exits 0 when the GPU tests passed (on CUDA: none skipped) and every benchmark run finished, 1 otherwise.

    summarize.py WORK_DIR PACK_TXT OUT_DIR

WORK_DIR holds machine.env and junit.env (key=value lines), and runs/NN-SIDE-MODE-PRECISION.{meta,out,err,memory}:
each run's settings and outcome, its stdout (the last line a JSON object), its stderr and its nvidia-smi samples
(MiB in use, every 100 ms). Each side's figure for a workload is the median of its runs' median images/s. Peak
device memory comes two ways: the program's own figure (`peak_device_bytes` in its JSON: PyTorch's
max_memory_allocated, graft's when `graft bench --json` reports it) and nvidia-smi's peak minus the reading just
before the run, which counts the CUDA context and every allocator's cache alike for both sides.
"""
import glob
import json
import os
import statistics
import sys
import xml.etree.ElementTree as ET

SIDES = ("graft", "torch")
MODES = (("train", "full training step"), ("frozen", "frozen backbone"), ("infer", "inference"))


def read_env(path):
    values = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    values.setdefault(key, value)
    return values


def last_json(path):
    """The last line of a run's stdout that parses as a JSON object, or None."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line.strip() for line in f if line.strip().startswith("{")]
    for line in reversed(lines):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return None


def memory_peak(path, baseline):
    """nvidia-smi's highest reading during the run minus the one before it, in MiB; None without samples."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        samples = [int(s) for s in (line.strip() for line in f) if s.isdigit()]
    if not samples:
        return None
    return max(samples) - (int(baseline) if baseline.isdigit() else 0)


def read_runs(work):
    runs = []
    for meta_path in sorted(glob.glob(os.path.join(work, "runs", "*.meta"))):
        stem = meta_path[:-len(".meta")]
        meta = read_env(meta_path)
        result = last_json(stem + ".out")
        status = meta.get("status", "unfinished")
        if status == "ok" and result is None:
            status = "no-json"
        runs.append({"name": os.path.basename(stem), "side": meta.get("side"), "mode": meta.get("mode"),
                     "batch": int(meta.get("batch", 0)), "precision": meta.get("precision"),
                     "round": int(meta.get("round", 0)), "status": status, "rc": meta.get("rc"),
                     "wall_s": meta.get("wall_s"), "limit_s": meta.get("limit_s"),
                     "nvidia_smi_peak_mib": memory_peak(stem + ".memory", meta.get("baseline_mib", "")),
                     "nvidia_smi_baseline_mib": meta.get("baseline_mib") or None, "result": result})
    return runs


def junit_totals(out):
    """Tests, failures, errors and skipped summed over the JUnit XML reports; None without reports."""
    totals = None
    for path in sorted(glob.glob(os.path.join(out, "junit", "*.xml"))):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            continue
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            totals = totals or {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for key in totals:
                totals[key] += int(suite.get(key, 0))
    return totals


def side_summary(runs):
    """Median images/s and peaks of one side's finished runs of one workload."""
    done = [r for r in runs if r["status"] == "ok"]
    if not done:
        return None
    rates = [r["result"]["median_images_per_sec"] for r in done]
    own = [r["result"]["peak_device_bytes"] for r in done if r["result"].get("peak_device_bytes") is not None]
    smi = [r["nvidia_smi_peak_mib"] for r in done if r["nvidia_smi_peak_mib"] is not None]
    return {"images_per_sec": statistics.median(rates), "runs": len(done), "run_medians": rates,
            "peak_device_mib": max(own) / 2**20 if own else None,
            "nvidia_smi_peak_mib": max(smi) if smi else None}


def fmt(value, digits=1):
    return "–" if value is None else f"{value:,.{digits}f}"


def rows(runs):
    table = []
    precisions = []
    for r in runs:
        if r["precision"] not in precisions:
            precisions.append(r["precision"])
    for precision in precisions:
        for mode, words in MODES:
            selected = [r for r in runs if r["precision"] == precision and r["mode"] == mode]
            if not selected:
                continue
            sides = {s: side_summary([r for r in selected if r["side"] == s]) for s in SIDES}
            g, t = sides["graft"], sides["torch"]
            ratio = g["images_per_sec"] / t["images_per_sec"] if g and t else None
            table.append({"mode": mode, "workload": words, "batch": selected[0]["batch"], "precision": precision,
                          "graft": g, "torch": t, "ratio": ratio,
                          "not_ok": sorted({f'{r["side"]}: {r["status"]}' for r in selected if r["status"] != "ok"})})
    return table


def precision_note(pack, runs):
    """How each precision was set on each side, PyTorch's settings as its script read them back."""
    notes = []
    for precision in ("f32", "tf32"):
        torch_runs = [r["result"] for r in runs if r["side"] == "torch" and r["precision"] == precision and r["result"]]
        if not any(r["precision"] == precision for r in runs):
            continue
        read_back = torch_runs[0].get("tf32_settings") if torch_runs else None
        notes.append(f"{precision.upper()}: graft GRAFT_TF32={int(precision == 'tf32')} and -Dgraft.cuda.tf32="
                     f"{str(precision == 'tf32').lower()}, PyTorch {json.dumps(read_back) if read_back else '–'}")
    notes.append(f"graft's TF32 flag {'found' if pack.get('graft_tf32_flag') == 'yes' else 'not found'} in its jars "
                 "when packed")
    return "; ".join(notes)


def markdown(machine, pack, junit, junit_rc, table, runs):
    first = next((r["result"] for r in runs if r["side"] == "torch" and r["result"]), {}) or {}
    lines = [f"## {machine.get('date', '?')}: graft vs PyTorch eager on {machine.get('gpu') or machine.get('device')}",
             "", "| | |", "|---|---|",
             f"| Card | {machine.get('gpu') or '–'} ({machine.get('gpu_memory') or '–'}), driver "
             f"{machine.get('driver') or '–'}, CUDA {machine.get('cuda_driver') or '–'} (driver), nvcc "
             f"{machine.get('nvcc') or '–'} |",
             f"| Host | {machine.get('nproc', '?')} cores ({machine.get('cpu', '?')}), {machine.get('memory', '?')}, "
             f"kernel {machine.get('kernel', '?')} |",
             f"| graft | commit {pack.get('commit', '?')} packed {pack.get('created', '?')}; "
             f"{machine.get('java', '?')}; cuDNN {machine.get('cudnn_file') or '–'} |",
             f"| PyTorch | {machine.get('torch', '–')} (CUDA {machine.get('torch_cuda', '–')}, cuDNN "
             f"{machine.get('torch_cudnn', '–')}), eager, cudnn.benchmark {first.get('cudnn_benchmark', '–')} |",
             f"| Method | ResNet-50 (random weights), {machine.get('image_size', '?')}x{machine.get('image_size', '?')}, "
             f"random batch on the device; {machine.get('warmup', '?')} warm-up + {machine.get('steps', '?')} timed "
             "steps, each ending with a device synchronize; a side's figure is the median over its runs (up to "
             f"{machine.get('rounds', '?')}) of each "
             "run's median images/s; graft and PyTorch runs alternate |",
             f"| Precision | {precision_note(pack, runs)} |"]
    if junit is not None:
        lines.append(f"| GPU tests | {junit['tests']} found, {junit['failures']} failed, {junit['errors']} errors, "
                     f"{junit['skipped']} skipped (console launcher exit {junit_rc}) |")
    else:
        lines.append(f"| GPU tests | no JUnit report (console launcher exit {junit_rc}) |")
    lines += ["", "| Workload | Batch | Precision | graft img/s | PyTorch img/s | graft / PyTorch | graft peak MiB "
              "(own) | PyTorch peak MiB (max_memory_allocated) | graft peak MiB (nvidia-smi) | PyTorch peak MiB "
              "(nvidia-smi) | runs (graft, PyTorch) |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in table:
        g, t = row["graft"] or {}, row["torch"] or {}
        runs_cell = f"{g.get('runs', 0)}, {t.get('runs', 0)}"
        if row["not_ok"]:
            runs_cell += " (" + "; ".join(row["not_ok"]) + ")"
        lines.append(f"| {row['workload']} | {row['batch']} | {row['precision'].upper()} | "
                     f"{fmt(g.get('images_per_sec'))} | {fmt(t.get('images_per_sec'))} | {fmt(row['ratio'], 2)} | "
                     f"{fmt(g.get('peak_device_mib'), 0)} | {fmt(t.get('peak_device_mib'), 0)} | "
                     f"{fmt(g.get('nvidia_smi_peak_mib'), 0)} | {fmt(t.get('nvidia_smi_peak_mib'), 0)} | {runs_cell} |")
    lines += ["", "graft's own peak is `peak_device_bytes` from `graft bench --json` (– when it does not report it); "
              "the nvidia-smi columns are the highest reading during a run (every 100 ms) minus the reading before "
              "it, so they include the CUDA context and each allocator's cached memory."]
    return "\n".join(lines) + "\n"


def main(work, pack_txt, out):
    machine = read_env(os.path.join(work, "machine.env"))
    pack = read_env(pack_txt)
    junit_env = read_env(os.path.join(work, "junit.env"))
    junit = junit_totals(out)
    runs = read_runs(work)
    table = rows(runs)
    junit_rc = junit_env.get("rc", "not run")
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"machine": machine, "pack": pack, "junit": {"rc": junit_rc, "totals": junit},
                   "rows": table, "runs": runs}, f, indent=1)
    summary = markdown(machine, pack, junit, junit_rc, table, runs)
    with open(os.path.join(out, "summary.md"), "w", encoding="utf-8") as f:
        f.write(summary)
    print("\n" + summary, flush=True)
    passed = junit_rc == "0" and junit is not None and junit["failures"] == 0 and junit["errors"] == 0
    if machine.get("device") == "cuda" and junit is not None and junit["skipped"]:
        # The GPU tests skip only where they find no usable GPU, which on the GPU machine is a broken setup.
        print(f"summarize.py: {junit['skipped']} GPU tests skipped on the GPU machine (see junit.txt)", flush=True)
        passed = False
    finished = bool(runs) and all(r["status"] == "ok" for r in runs)
    return 0 if passed and finished else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: summarize.py WORK_DIR PACK_TXT OUT_DIR")
    sys.exit(main(*sys.argv[1:]))
