// Polls panel of the member's tablet (filled in by the voting feature).
