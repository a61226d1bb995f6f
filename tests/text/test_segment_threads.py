"""The segmenter is shared by every thread of a process: lazy loading must be thread-safe."""

import json
import sys
import threading

from nlp_pipeline.text import segment as segment_module
from nlp_pipeline.text.normalize import normalize

from ..conftest import CORPUS


def test_threads_sharing_a_fresh_segmenter_cut_like_one_thread():
    texts = [
        normalize(json.loads(line)["text"])
        for line in (CORPUS / "test.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    expected = [segment_module._Segmenter().cut(t) for t in texts]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy server would
    try:
        for _ in range(3):
            shared = segment_module._Segmenter()  # nothing loaded yet: the lazy path
            wrong: list[str] = []
            start = threading.Barrier(8)

            def work(offset, shared=shared, wrong=wrong, start=start):
                start.wait()
                for i in range(len(texts)):
                    k = (i + offset * 61) % len(texts)
                    if shared.cut(texts[k]) != expected[k]:
                        wrong.append(texts[k])

            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not wrong, f"{len(wrong)} wrong segmentations, e.g. {wrong[0]!r}"
    finally:
        sys.setswitchinterval(interval)
