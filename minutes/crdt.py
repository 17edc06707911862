"""The draft as a CRDT document: one Y.Text per section (shared with Yjs in the browser)."""
from pycrdt import Doc, Text


def new_doc(sections: dict[str, str]) -> Doc:
    doc = Doc()
    for key, text in sections.items():
        doc[key] = Text(text)
    return doc


def add_sections(doc: Doc, sections: dict[str, str]) -> None:
    for key, text in sections.items():
        doc.get(key, type=Text).insert(0, text)


def load_doc(state: bytes) -> Doc:
    doc = Doc()
    if state:
        doc.apply_update(state)
    return doc


def section_texts(doc: Doc, keys: list[str]) -> dict[str, str]:
    return {key: str(doc.get(key, type=Text)) for key in keys}
