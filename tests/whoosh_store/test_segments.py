"""The segment writer (search/whoosh_store/segments.py) against Whoosh's own: what Whoosh reads from
our files equals what it reads from the files its own writer makes, term by term and posting by posting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES


def _segment_files(folder: Path) -> dict[str, bytes]:
    """A one-segment index's files by their kind (the segment name is random)."""
    return {
        p.name.split(".", 1)[1]: p.read_bytes()
        for p in folder.iterdir()
        if p.name.startswith("MAIN_") and "." in p.name
    }


def _postings_as_whoosh_reads_them(folder: Path) -> dict:
    """Every term's info and every posting with its block's info, read through Whoosh."""
    from whoosh import index as whoosh_index

    found = {}
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            matcher = reader.postings(fieldname, btext)
            postings = []
            while matcher.is_active():
                block = (
                    matcher.block_max_id(),
                    matcher.block_max_weight(),
                    matcher.block_min_length(),
                    matcher.block_max_length(),
                )
                postings.append((matcher.id(), matcher.weight(), matcher.value(), block))
                matcher.next()
            found[fieldname, btext] = (
                (info.weight(), info.doc_frequency(), info.min_length(), info.max_length()),
                (info.max_weight(), info.min_id(), info.max_id()),
                postings,
            )
    return found


def _assert_builder_writes_what_whoosh_writes(folder: Path, docs: list[dict]) -> dict:
    """SegmentBuilder replaces Whoosh's writer in rebuilds for speed: Whoosh must read the same
    index from its files. They are the same bytes but for the pickles in posting blocks (another
    protocol: BLOCK_PICKLE_PROTOCOL in search/whoosh_store/segments.py), the offsets that this moves, and the
    stored fields' compression (STORED_ZLIB_LEVEL). Returns what Whoosh reads."""
    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    from search.whoosh_store.schema import build_schema
    from search.whoosh_store.segments import WRITER_OPTIONS, SegmentBuilder, commit_segments

    ours, whooshs = folder / "ours", folder / "whoosh"
    for d in (ours, whooshs):
        d.mkdir()
    ix = whoosh_index.create_in(str(ours), build_schema())
    builder = SegmentBuilder(ix)
    for doc in docs:
        builder.add(doc)
    commit_segments(ix, [builder.finish()])
    writer = SegmentWriter(whoosh_index.create_in(str(whooshs), build_schema()), **WRITER_OPTIONS)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()

    expected, written = _segment_files(whooshs), _segment_files(ours)
    assert {"pst", "trm", "_stored.col", "_body_len.col"} <= expected.keys()
    assert expected.keys() == written.keys()
    assert {kind for kind in expected if written[kind] != expected[kind]} <= {"pst", "trm", "_stored.col"}
    whoosh_reads = _postings_as_whoosh_reads_them(whooshs)
    assert _postings_as_whoosh_reads_them(ours) == whoosh_reads
    with (
        whoosh_index.open_dir(str(whooshs)).reader() as theirs,
        whoosh_index.open_dir(str(ours)).reader() as mine,
    ):
        assert list(mine.all_stored_fields()) == list(theirs.all_stored_fields())
    return whoosh_reads


@pytest.mark.parametrize("source", ["samples", "corpus"])
def test_segment_builder_writes_what_whoosh_writes(tmp_path, source, request):
    from search.article import PageRejected
    from search.pages import read_page, scan_sources
    from search.whoosh_store.schema import article_document

    folder = SAMPLES if source == "samples" else request.getfixturevalue("shared_corpus") / "pages"
    docs = []
    for path in scan_sources([folder]).pages[:400]:
        try:
            docs.append(article_document(read_page(path)))
        except PageRejected:
            pass
    assert len(_assert_builder_writes_what_whoosh_writes(tmp_path, docs)) > 500


def test_segment_builder_across_blocks_and_windows(tmp_path, monkeypatch):
    """Terms with more postings than a block holds (128), texts without terms, and postings
    turned into lists a few at a time (`_WINDOW`), each term's crossing window edges."""
    from search.whoosh_store import segments as index_module

    monkeypatch.setattr(index_module, "_WINDOW", 7)
    docs = [
        {
            "id": f"d{i:04d}",
            "title": "।" if i % 50 == 0 else f"শিরোনাম {i % 7}",
            "body": f"নদী সেতু{i} পাহাড়\n\nনদী {'ঢাকা ' * (i % 5)}শেষ{i % 13} নদী",
        }
        for i in range(300)
    ]
    found = _assert_builder_writes_what_whoosh_writes(tmp_path, docs)
    postings_of_river = found["body", "নদী".encode()][2]
    assert len(postings_of_river) == 300  # three blocks
    assert len({block for *_, block in postings_of_river}) == 3
