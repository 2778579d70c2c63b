"""Index files read with positioned reads (search.whoosh_files) give what Whoosh's own files give,
from one thread or from many at once."""

from __future__ import annotations

import pickle
import threading

from whoosh import index as whoosh_index

from search.whoosh_store.generations import current_generation
from search.whoosh_store.postings import PreadFile, SharedReadStorage
from tests.conftest import SAMPLES


def everything(reader) -> list:
    """Every term with its postings (ids, weights, values) and every document's stored fields."""
    found = []
    for field, raw in reader.all_terms():
        m = reader.postings(field, raw)
        found.append((field, raw, list(m.all_items())))
    found.extend(reader.stored_fields(d) for d in range(reader.doc_count_all()))
    return found


def test_reads_are_whoosh_own(sample_index):
    folder = str(current_generation(sample_index).path)
    with (
        whoosh_index.open_dir(folder).reader() as theirs,
        SharedReadStorage(folder).open_index().reader() as ours,
    ):
        assert everything(ours) == everything(theirs)


def test_many_threads_read_one_generation_at_once(sample_index):
    folder = str(current_generation(sample_index).path)
    with whoosh_index.open_dir(folder).reader() as theirs:
        expected = everything(theirs)
    with SharedReadStorage(folder).open_index().reader() as shared:
        results: list = [None] * 8
        start = threading.Barrier(8)

        def read(i: int) -> None:
            start.wait()
            results[i] = everything(shared)

        threads = [threading.Thread(target=read, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(r == expected for r in results)


def test_each_thread_has_its_own_position(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) + b"line one\nline two\n")
    f = PreadFile(open(path, "rb"), name="f")
    f.seek(10)
    other: list = []
    t = threading.Thread(target=lambda: other.append((f.tell(), f.read(2), f.tell())))
    t.start()
    t.join()
    assert other == [(0, b"\x00\x01", 2)]
    assert (f.tell(), f.read(2)) == (10, b"\x0a\x0b")
    f.seek(256)
    assert f.readline() == b"line one\n" and f.readline() == b"line two\n" and f.readline() == b""
    assert f.get(3, 2) == b"\x03\x04" and f.tell() == 256 + 18
    f.seek(-4, 2)
    assert f.read() == b"two\n" and f.read() == b""


def test_pickles_are_read_from_the_thread_position(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"xx" + pickle.dumps((1, "দুই")) + b"after")
    f = PreadFile(open(path, "rb"), name="f")
    f.seek(2)
    assert f.read_pickle() == (1, "দুই") and f.read(5) == b"after"


def test_document_frequencies_are_whooshs_own(tmp_path):
    """The terms file read straight gives every term Whoosh's own reader lists, with the document
    frequency it reports, over several segments (a rebuild with two workers, then an update)."""
    from search.whoosh_store.build import rebuild, update
    from search.whoosh_store.generations import open_generation
    from search.whoosh_store.postings import document_frequencies
    from tests.whoosh_store.test_build import write_page

    rebuild([SAMPLES], tmp_path / "index", procs=2)
    write_page(tmp_path / "more", "extra", "নদীর পাড়ে মেলা", "নদীর পাড়ে মেলা বসেছে। নতুনশব্দ।")
    update([SAMPLES, tmp_path / "more"], tmp_path / "index")
    with open_generation(current_generation(tmp_path / "index")).reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(leaves) >= 2
        for fieldname in ("title", "body"):
            expected = {raw.decode(): info.doc_frequency() for raw, info in reader.iter_field(fieldname)}
            assert document_frequencies(leaves, fieldname) == expected
            assert "নতুনশব্দ" in expected or fieldname == "title"


def test_columns_and_field_lengths_read_whole_are_whooshs_own(tmp_path):
    """Numeric columns and field lengths read as arrays give each document what Whoosh's own
    readers give one at a time, over several segments with deleted documents (a rebuild with two
    workers, then an update that changes a page) and documents past a column's last value."""
    import shutil

    import numpy as np

    from search.whoosh_store.build import rebuild, update
    from search.whoosh_store.generations import open_generation
    from search.whoosh_store.postings import (
        field_lengths,
        live_documents,
        numeric_column,
        ref_bytes_column,
        var_bytes_rows,
    )
    from tests.whoosh_store.test_build import write_page

    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    rebuild([src], tmp_path / "index", procs=2)
    write_page(src, "extra", "নদীর পাড়ে মেলা", "নদীর পাড়ে মেলা বসেছে।")  # undated: default values
    changed = sorted(src.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nনতুন বাক্য।\n", "utf-8")
    update([src], tmp_path / "index")
    with open_generation(current_generation(tmp_path / "index")).reader() as reader:
        leaves = list(reader.leaf_readers())
        assert len(leaves) >= 2 and reader.has_deletions()
        for fieldname in ("published_min", "oldest_key"):
            column = reader.schema[fieldname].column_type
            expected = list(reader.column_reader(fieldname))
            assert numeric_column(leaves, fieldname, column).tolist() == expected
            assert len(set(expected)) > 2  # dates, and the default of the undated page
        for fieldname in ("title", "body"):
            expected = [reader.doc_field_length(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())]
            assert field_lengths(leaves, fieldname).tolist() == expected
            assert np.count_nonzero(expected) == reader.doc_count_all()
        for fieldname in ("desk", "month"):
            raw = [
                reader.schema[fieldname].to_column_value(v) if isinstance(v, str) else v
                for v in reader.column_reader(fieldname)
            ]
            codes, values = ref_bytes_column(leaves, fieldname)
            assert [values[c] for c in codes] == raw
            assert values == list(dict.fromkeys(raw))  # in order of first appearance
            assert len(values) > 2
        encoded, held = var_bytes_rows(leaves, "signature", 96)
        values = list(reader.column_reader("signature"))
        assert [bytes(row) if h else b"" for row, h in zip(encoded, held, strict=True)] == [
            v if len(v) == 96 else b"" for v in values
        ]
        assert held.sum() == sum(len(v) == 96 for v in values) > 0
        assert live_documents(leaves).tolist() == list(reader.all_doc_ids())
        assert len(list(reader.all_doc_ids())) < reader.doc_count_all()  # the changed page's old copy
