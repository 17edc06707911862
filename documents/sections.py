"""Snapshot sections of the documents app (registered in DocumentsConfig.ready)."""
from documents import selectors
from sessions.snapshot import register_personal, register_section

register_section("documents", selectors.documents_section)
register_section("presenting", selectors.presenting_section)
register_personal("document_list", selectors.document_list_section)
register_personal("annotations", selectors.my_annotations)
register_personal("confidential_notices", selectors.confidential_notices)
