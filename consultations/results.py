"""Choice keys and results of a written consultation: pure functions over counts.

Every decision (base, threshold, ties) comes from voting/rules.py, the module meeting polls use.
The base is all members consulted: `rules.ALL_MEMBERS` with `convened` = the frozen list of
people consulted (the list plays the part of "members convened"); nobody consulted is left out
of the base for not answering — not answering is reported as such.
"""
from voting import rules

AGREE, DISAGREE, OTHER = "agree", "disagree", "other"
AGREE_CHOICES = (AGREE, DISAGREE, OTHER)
AGREE_LABELS = {AGREE: "Đồng ý", DISAGREE: "Không đồng ý", OTHER: "Ý kiến khác"}
BASE = rules.ALL_MEMBERS
BASE_LABEL = "tổng số đồng chí được lấy ý kiến"


def question_choices(kind: str, options: list[str]) -> list[str]:
    """The answers one question accepts: agree/disagree/other, or "o<index>" per option."""
    return list(AGREE_CHOICES) if kind == "agree" else [f"o{j}" for j in range(len(options))]


def choice_keys(questions: list[dict]) -> list[str]:
    """Every counter of a consultation, "<question index>:<choice>", in a fixed order."""
    return [f"{i}:{c}" for i, q in enumerate(questions) for c in question_choices(q["kind"], q.get("options", []))]


def valid_answers(questions: list[dict], answers: list[str | None]) -> bool:
    """One answer per question, each one the question accepts (no blank: the form asks them all)."""
    return len(answers) == len(questions) and all(
        a in question_choices(q["kind"], q.get("options", [])) for q, a in zip(questions, answers))


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") + "%"


def question_result(question: dict, counts: dict[str, int], *, consulted: int, respondents: int,
                    threshold: str) -> dict:
    """`counts`: choice → number of answers for this question (keys of question_choices)."""
    kind, options = question["kind"], question.get("options", [])
    if kind == "agree":
        r = rules.motion_result(yes=counts.get(AGREE, 0), no=counts.get(DISAGREE, 0), abstain=counts.get(OTHER, 0),
                                eligible=consulted, convened=consulted, base=BASE, threshold=threshold)
        rows = [{"label": AGREE_LABELS[c], "votes": counts.get(c, 0), "percent": r.percents[k]}
                for c, k in ((AGREE, rules.YES), (DISAGREE, rules.NO), (OTHER, rules.ABSTAIN))]
        agree = counts.get(AGREE, 0)
        if r.passed:
            text = f"Đạt: {agree}/{r.base_count} đồng chí đồng ý ({_pct(r.percents[rules.YES])})."
        elif r.tie:
            text = f"Không đạt: số ý kiến đồng ý và không đồng ý bằng nhau ({agree}/{counts.get(DISAGREE, 0)})."
        else:
            text = f"Không đạt: {agree}/{r.base_count} đồng chí đồng ý ({_pct(r.percents[rules.YES])})."
        passed, tie, base_count = r.passed, r.tie, r.base_count
    else:
        votes = [counts.get(f"o{j}", 0) for j in range(len(options))]
        base_count = rules.base_count(BASE, convened=consulted, present=consulted, ballots=respondents)
        if threshold == rules.PLURALITY:
            passing = [j for j, v in enumerate(votes) if v > 0]
        else:
            passing = [j for j, v in enumerate(votes) if rules.meets_threshold(v, base_count, threshold)]
        chosen, tied = rules.fill_seats(passing, votes, 1)
        rows = [{"label": o, "votes": v, "percent": rules.percent(v, base_count), "chosen": j in chosen}
                for j, (o, v) in enumerate(zip(options, votes))]
        if chosen:
            j = chosen[0]
            text = f"Phương án được chọn: {options[j]} ({votes[j]}/{base_count} đồng chí, " \
                   f"{_pct(rules.percent(votes[j], base_count))})."
        elif tied:
            text = ("Các phương án " + ", ".join(options[j] for j in tied)
                    + f" bằng nhau ({votes[tied[0]]} ý kiến): cần lấy ý kiến lại.")
        else:
            text = f"Không phương án nào đạt {rules.THRESHOLD_LABELS[threshold]} số đồng chí được lấy ý kiến."
        passed, tie = bool(chosen), bool(tied)
    return {
        "text": question["text"], "kind": kind, "options": rows, "passed": passed, "tie": tie,
        "not_answered": consulted - respondents, "base": BASE, "base_label": BASE_LABEL, "base_count": base_count,
        "threshold": threshold, "threshold_label": rules.THRESHOLD_LABELS[threshold], "outcome_text": text,
    }


def consultation_results(questions: list[dict], counts: dict[str, int], *, consulted: int, respondents: int,
                         threshold: str) -> list[dict]:
    """`counts`: every choice key → count (choice_keys). One result dict per question."""
    if respondents > consulted or any(v < 0 for v in counts.values()):
        raise ValueError("more answers than people consulted, or a negative count")
    out = []
    for i, q in enumerate(questions):
        mine = {c: counts.get(f"{i}:{c}", 0) for c in question_choices(q["kind"], q.get("options", []))}
        if sum(mine.values()) != respondents:
            raise ValueError(f"question {i}: answers do not add up to the respondents")
        out.append(question_result(q, mine, consulted=consulted, respondents=respondents, threshold=threshold))
    return out
