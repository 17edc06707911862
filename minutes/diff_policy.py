"""What may change in signed minutes after each signature: almost nothing.

pyHanko's default difference policy accepts, after a signature, new signature fields, form
filling, annotations and metadata updates — each harmless in a generic workflow and each a way
to make a signed biên bản say something else on screen (a new field's appearance over the result
line, a FreeText annotation, a retitled document). Our workflow has exactly one legitimate change
after the secretary's signature: the chair's signature filling the chair's field, which already
exists in the secretary's revision. After the last signature only long-term-validation data may be
added (DSS, document timestamps). Everything else is reported as a modification.
"""
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule, DocInfoRule, DSSCompareRule, FormUpdatingRule, MetadataUpdateRule, ModificationLevel,
    ObjectStreamRule, SigFieldCreationRule, SigFieldModificationRule, StandardDiffPolicy, XrefStreamRule,
)
from pyhanko.sign.diff_analysis.policy_api import DiffResult

# New signature fields only as pyHanko qualifies them: an invisible one (the archive timestamp's) is
# LTV data; a visible one is form filling of a field no signer expects, hence a modification (its
# appearance could cover the result line). No GenericFieldModificationRule (no other form data),
# no DocInfoRule / MetadataUpdateRule (no metadata edits); annotations are never approved.
STRICT_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
)


# The revision that adds the next signature: pyHanko's signer also refreshes the modification date
# in /Info and XMP. Used only for that one revision (minutes.signing._modified_after).
SIGNING_REVISION_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        MetadataUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
)


def modified_after(status, *, later_fields: set[str]) -> bool:
    """True unless every change after this signature is LTV data or the filling of `later_fields`.

    `later_fields`: the signature fields that are expected to be signed after this one.
    """
    if not status.intact:
        return True
    diff = status.diff_result
    if diff is None:
        return False  # the signature covers the whole file
    if not isinstance(diff, DiffResult):
        return True  # SuspiciousModification: a change no rule approves
    level = diff.modification_level
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return False
    if level == ModificationLevel.FORM_FILLING:
        return not diff.changed_form_fields or not diff.changed_form_fields <= later_fields
    return True
