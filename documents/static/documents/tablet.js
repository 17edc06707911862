// Documents panel of the member's tablet (filled in by the documents feature).
