"""The printed table and the chart of a run's results (run.py's results.json)."""
from targets import RATIO, TARGET_POSTS


def cell(row, key, spec, width):
    return f"{format(row[key], spec) if key in row else '-':>{width}}"


def table(results):
    sizes = results["sizes"]
    large = sizes[-1]
    lines = ["Server limits: requests/s of a constant JSON answer, and ÷ bare Flask on granian (medians)"]
    for size in sizes:
        lines.append(f"  {size['posts']:,} posts: " + "; ".join(
            f"{name} {limit['rate']:,} ({limit['ratio']:.2f})" for name, limit in size["limits"].items()))
    lines.append("")
    head = f"{'row':26}" + "".join(f"{format(s['posts'], ',') + ' posts':>33}" for s in sizes)
    sub = f"{'':26}" + f"{'req/s':>8}{'×ceiling':>9}{'×peer':>7}{'p50 ms':>9}" * len(sizes)
    lines += [head + ("  growth" if len(sizes) > 1 else "") + "  targets", sub]
    for key in large["rows"]:
        line = f"{key:26}"
        for size in sizes:
            row = size["rows"].get(key, {})
            line += (cell(row, "rate", ".0f", 8) + cell(row, "ratio", ".2f", 9) + cell(row, "ratio_to_peer", ".2f", 7)
                     + cell(row, "p50_ms", ".2f", 9))
        verdicts = results["targets"].get(key, [])
        if len(sizes) > 1:
            growth = next((v["value"] for v in verdicts if v["target"].startswith("p50 growth")), None)
            line += f"{'-':>8}" if growth is None else f"{growth:8.2f}"
        line += "  " + ", ".join(f"{v['target']} {'met' if v['met'] else 'MISSED'}" for v in verdicts)
        for size in sizes:
            row = size["rows"].get(key, {})
            if row.get("kind") == "miss" and row["requests"] > row["distinct_paths"]:
                line += (f"  (paths repeat at {size['posts']:,} posts: {row['requests']:,} requests over "
                         f"{row['distinct_paths']:,})")
        lines.append(line)
    lines.append("")
    lines.append("×ceiling: requests/s ÷ bare Flask's on the row's own server (granian with `microblog serve`'s "
                 "settings, or gunicorn with gunicorn.conf.py), measured just before each run; the median of the "
                 "rounds' ratios. ×peer: ÷ the FastAPI + SQLAlchemy peer on uvicorn. (miss): a URL not asked "
                 "before on every request.")
    for verdict in results["targets"]["worker RSS"]:
        lines.append(f"worker RSS of microblog on granian after the runs: {verdict['value']} MB at most "
                     f"({verdict['target']}: {'met' if verdict['met'] else 'MISSED'}); all: "
                     f"{', '.join(str(m) for m in large['worker_rss_mb'])}")
    if large["posts"] != TARGET_POSTS:
        lines.append(f"The targets are for {TARGET_POSTS:,} posts; this run's largest blog has {large['posts']:,}.")
    lines.append("seeding: " + "; ".join(f"{s['posts']:,} posts in {s['seed_seconds']} s" for s in sizes)
                 + "; measuring: " + "; ".join(f"{s['measure_seconds']} s" for s in sizes)
                 + f"; load average {results['load_average']['start'][0]} at the start, "
                 f"{results['load_average']['end'][0]} at the end")
    return "\n".join(lines)


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = results["sizes"]
    names = [key for key, row in sizes[-1]["rows"].items() if "ratio" in row]
    figure, axes = plt.subplots(figsize=(13, 5.2))
    width = 0.8 / len(sizes)
    for i, size in enumerate(sizes):
        ratios = [size["rows"].get(name, {}).get("ratio", 0) for name in names]
        axes.bar([x + i * width for x in range(len(names))], ratios, width, label=f"{size['posts']:,} posts")
    middle = width * (len(sizes) - 1) / 2
    marked = [(x, RATIO[name]) for x, name in enumerate(names) if name in RATIO]
    axes.scatter([x + middle for x, _ in marked], [target for _, target in marked], marker="_", s=400,
                 color="black", zorder=3, label=f"target at {TARGET_POSTS:,} posts")
    axes.axhline(1.0, color="black", linewidth=0.8)
    raw = sizes[-1]["limits"]["raw WSGI (granian)"]["ratio"]
    axes.set_xticks([x + middle for x in range(len(names))], names, rotation=30, ha="right")
    axes.set_ylabel("requests/s ÷ bare Flask's on the same server")
    axes.set_title(f"microblog ÷ bare Flask on the same server (1.0); the server alone (raw WSGI on granian) "
                   f"reaches {raw:.1f}\n{results['date']}, {results['cores']} cores, {results['workers']} workers, "
                   f"commit {results['commit']}, `{results['command']}`", fontsize=10)
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
