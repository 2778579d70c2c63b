"""`sandhan` subcommands as a user runs them: parse --json contract, index rebuild/stats, search."""

from __future__ import annotations

import json
import subprocess
import sys

from search.cli import main
from tests.conftest import REPO, SAMPLES, SHARED_CORPUS


def test_parse_json_contract(runner):
    page = sorted(SAMPLES.glob("*.txt"))[0]
    result = runner.invoke(main, ["parse", str(page), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert set(record) == {"file", "id", "ok", "error", "title", "desk", "published", "updated", "body"}
    assert record["ok"] is True and record["error"] is None
    assert record["id"] == page.stem
    assert record["published"] is None or record["published"].endswith("+06:00")


def test_parse_exits_1_when_a_page_is_rejected(runner, tmp_path):
    good = sorted(SAMPLES.glob("*.txt"))[0]
    (tmp_path / good.name).write_bytes(good.read_bytes())
    (tmp_path / "0009_0000000000000000.txt").write_bytes(b"")
    result = runner.invoke(main, ["parse", str(tmp_path), "--json"])
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["ok"] for r in records] == [True, False]
    assert records[1]["error"] == "empty file"


def test_parse_seed_page_matches_the_manifest_title(shared_corpus):
    seed = next((SHARED_CORPUS / "seed").glob("*.txt"))
    out = subprocess.run(
        [sys.executable, "-m", "search.cli", "parse", str(seed), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    ).stdout
    assert json.loads(out)["title"] == "কিমের সঙ্গে সাক্ষাতের ইঙ্গিত দিলেন পুতিন"


def test_rebuild_stats_and_search(runner, tmp_path):
    index_dir = str(tmp_path / "index")
    built = runner.invoke(main, ["index", "rebuild", "--source", str(SAMPLES), "--index", index_dir])
    assert built.exit_code == 0, built.output
    assert "indexed:" in built.output and "gen-000001" in built.output
    stats = runner.invoke(main, ["index", "stats", "--index", index_dir, "--json"])
    assert json.loads(stats.output)["documents"] > 0
    found = runner.invoke(main, ["search", "ঢাকা", "--index", index_dir, "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["total"] > 0
    bad = runner.invoke(main, ["search", "ঢাকা", "--from", "nonsense", "--index", index_dir])
    assert bad.exit_code != 0 and "from" in bad.output


def test_missing_index_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["search", "ঢাকা", "--index", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert "sandhan index rebuild" in result.output
