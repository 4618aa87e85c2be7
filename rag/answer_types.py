"""What kind of thing a question asks for, and where a sentence holds one.

A *who* question wants a person, *how much / how many* an amount, *when* a date or day,
*where* a place. The answerer prefers sentences that hold the asked-for kind, and marks
the span (the `highlight`) so a reader sees the very thing asked for.
"""

from __future__ import annotations

import re
from enum import StrEnum

from index.tokens import STOPWORDS, stem, token_matches, words


class AnswerType(StrEnum):
    """The kind of thing a question asks for."""

    PERSON = "person"
    QUANTITY = "quantity"
    DATE = "date"
    PLACE = "place"
    QUOTE = "quote"


_QUESTION_TYPES: list[tuple[re.Pattern[str], AnswerType]] = [
    (
        re.compile(
            r"\b(?:who|whom|whose)\b|\bwhich (?:person|official|leader|president|minister)\b", re.I
        ),
        AnswerType.PERSON,
    ),
    (
        re.compile(
            r"\bhow (?:much|many|large|big|high|low|long|old|far)\b|\bwhat (?:share|percent(?:age)?|portion|fraction|amount|sum|figure|number|rate|level)\b"
            r"|\bwhat (?:is|was) the (?:tariff|rate|amount|figure|sum|size|total|value)\b|\bhow (?:steep|hefty)\b",
            re.I,
        ),
        AnswerType.QUANTITY,
    ),
    (
        re.compile(
            # "when" asks for a time at the start or before an auxiliary, not in "vote when there is".
            r"^\W*when\b|\bwhen (?:did|does|do|is|was|were|will|would|has|have|had|can|could|should|are)\b"
            r"|\bwhat (?:day|date|month|year|time|century|decade|period|era)\b"
            r"|\b(?:which|in what) (?:day|month|year|century|decade|period|era)\b|\bsince when\b",
            re.I,
        ),
        AnswerType.DATE,
    ),
    (
        re.compile(
            r"\bwhere\b|\bwhat (?:city|country|place|state|town|region)\b|\bwhich (?:city|country|place|state|town|region)\b|\bin which\b",
            re.I,
        ),
        AnswerType.PLACE,
    ),
    (
        re.compile(
            r"\b(?:say|said|says|saying|tell|told|warn|warned|call|called|describe|described|think|thought|"
            r"claim|claimed|react|reacted|respond|responded|quote|words|remark|remarks|comment|according to)\b",
            re.I,
        ),
        AnswerType.QUOTE,
    ),
]

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "dozens?|scores|hundreds?|thousands?|millions?|billions?|several|single|half|twice|double"
)
# A capitalised number word opens a sentence ("Fourteen territories remain"); "One" is left
# out, since "Air Force One" is a name.
_CAPITAL_NUMBER_WORDS = "|".join(
    w.capitalize() for w in _NUMBER_WORDS.split("|") if not w.startswith("one")
)
_QUANTITY = re.compile(
    r"(?:(?:[Nn]early|[Aa]bout|over|under|up to|more than|less than|at least|almost|roughly|some|just)\s+)?"
    r"(?:[$£€¥₩]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:trillion|billion|million|thousand|bn|m|k)\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|per cent\b)"
    r"|\b\d[\d,]*(?:\.\d+)?(?:\s?(?:trillion|billion|million|thousand)\b)?(?:\s(?:[a-z]+\s){0,2}?(?:workers|people|troops|dollars|won|yen|years|months|days|tons|cars|jobs|companies|firms))?"
    rf"|\b(?:{_NUMBER_WORDS}|{_CAPITAL_NUMBER_WORDS})\b(?:\s(?:of\s)?[a-z]+)?"
    r"|\bmultimillion-dollar\b|\bmulti-billion-dollar\b)",
    # Case matters: "Air Force One Monday" holds no quantity.
)
# "How much did Hyundai invest?" asks for money: "over 300 workers" is a figure, not an answer.
_ASKS_FOR_MONEY = re.compile(
    r"\bhow much\b(?!\s+(?:of|more|less|higher|lower|time|longer|later|earlier)\b)"
    r"(?:\s+money\b|.*\b(?:cost|costs|costing|pay|pays|paid|paying|spend|spends|spent|"
    r"invest|invests|invested|investing|investment|price|priced|fare|fee|fees|charge|charges|"
    r"charged|earn|earns|earned|raise|raised|donate|donated|fund|funds|funding|budget|worth|"
    r"salary|wage|wages|owe|owed|borrow|borrowed|lend|lent|loan|loans|revenue|profit|bill)\b)"
    r"|\bwhat (?:is|was|will be) the (?:price|cost|fare|fee|salary)\b",
    re.I,
)
# Shares and comparisons ("how much of its revenue", "by how much") are percentages, not sums.
_SHARE = re.compile(r"\bby how much\b", re.I)
_MONEY = re.compile(
    r"[$£€¥₩¢]\s?\.?\d|\d\s?¢|\b(?:USD|GBP|EUR|JPY|CNY|KRW|US\$)\s?\d"
    r"|\b\d[\d,.]*\s?(?:dollars|euros|pounds|yen|won|yuan|francs|rupees|pesos|cents?|pence|"
    r"marks|lira|rubles|dinars|dirhams|rials|thalers|shillings|krona|kronor)\b"
    r"|\b(?:dollars|euros|francs|yen|yuan|rupees|dirhams|rials|thalers|halfpenny)\b|\b\d+-cent\b"
    r"|\d\s?(?:USD|GBP|EUR)\b"
    r"|\b(?:multi)?-?(?:million|billion)-dollar\b|\bfree\b|\bwaived\b",
    re.I,
)


def asks_for_money(question: str) -> bool:
    """Whether a how-much question asks for a sum of money (cost, price, investment...)."""
    return bool(_ASKS_FOR_MONEY.search(question)) and not _SHARE.search(question)


def holds_money(text: str) -> bool:
    """Whether a sentence gives a sum of money (or says there is none to pay: "free", "waived")."""
    return bool(_MONEY.search(text))


_DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{_MONTHS})(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?\b"
    rf"|\b(?:{_DAYS})\b"
    r"|\b(?:1[0-9]|20)\d{2}s?\b|\b\d{3}0s\b|\b[1-9]\d{2}(?= (?:AD|BC|CE|BCE)\b)"
    r"|\b(?:the )?\d{1,2}(?:st|nd|rd|th) (?:century|centuries)\b|\b(?:early|mid|late)-?\d{4}s\b"
    r"|\b(?:earlier|later) (?:in|this) (?:the )?(?:week|month|year)\b|\b(?:last|next|this) (?:week|month|year)\b"
    r"|\bfor (?:decades|years|months)\b|\bin months\b|\b(?:yesterday|today|tomorrow)\b",
)


class Measure(StrEnum):
    """What a how-much or how-many question measures, when it says: a sentence that answers
    it gives a figure of that kind ("how many miles" is not answered by "20 minutes")."""

    MONEY = "sum of money"
    DISTANCE = "distance"
    DURATION = "length of time"
    AGE = "age"
    SHARE = "share"
    RATE = "rate"
    AMOUNT = "figure"
    COUNT = "count"


_TIME_UNITS = r"seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?|centuries"
_DISTANCE_UNITS = (
    r"miles?|kilomet(?:er|re)s?|km|met(?:er|re)s?|feet|foot|ft|yards?|inches|inch|"
    r"centimet(?:er|re)s?|cm|millimet(?:er|re)s?|mm|leagues?|nautical miles?|blocks?"
)
_ASKS_FOR_MEASURE: list[tuple[re.Pattern[str], Measure]] = [
    (
        re.compile(
            # Not "how far": "How far back does the history of pubs go?"
            rf"\bhow many (?:more |fewer |extra |additional )?(?:{_DISTANCE_UNITS})\b",
            re.I,
        ),
        Measure.DISTANCE,
    ),
    (
        re.compile(rf"\bhow many (?:more |fewer |extra |additional )?(?:{_TIME_UNITS})\b", re.I),
        Measure.DURATION,
    ),
    (re.compile(r"\bhow old\b", re.I), Measure.AGE),
    (
        re.compile(
            r"\bwhat (?:percent(?:age)?|share|proportion|fraction)\b|\bhow many percent\b",
            re.I,
        ),
        Measure.SHARE,
    ),
    (
        re.compile(
            r"\bwhat(?:['’]s| is| was| are| were| will be)? (?:the |its |their )?(?:[\w-]+ ){0,2}rates?\b",
            re.I,
        ),
        Measure.RATE,
    ),
    (
        re.compile(
            r"\bwhat(?:['’]s| is| was| will be) (?:the |its |their )?(?:[\w-]+ ){0,2}(?:limit|threshold|"
            r"ceiling|cap|minimum|maximum|population|total|capacity|turnout|attendance|salary)\b",
            re.I,
        ),
        Measure.AMOUNT,
    ),
    (re.compile(r"\bhow many\b", re.I), Measure.COUNT),
]
_BETWEEN_DATES = re.compile(
    r"\b(?:after|before|between|since|later|earlier|ago|elapsed|passed|until|till)\b", re.I
)
_HOLDS_MEASURE: dict[Measure, re.Pattern[str]] = {
    Measure.DISTANCE: re.compile(rf"\b(?:{_DISTANCE_UNITS})\b|\d\s?(?:km|mi|m|ft)\b", re.I),
    Measure.DURATION: re.compile(
        rf"\b(?:{_TIME_UNITS}|year-long|month-long|week-long|overnight)\b|\b(?:1[0-9]|20)\d{{2}}\b",
        re.I,
    ),
    Measure.SHARE: re.compile(
        r"\d\s?%|\bper\s?cent\b|\bpercentage\b|\b\w+-(?:half|third|quarter|\w+ths?)\b"
        r"|\b(?:half|halves|third|thirds|quarters?|fifths?|tenths?|majority|minority|most|all|"
        r"none|every|whole|entire)\b|\bone in\b|\bout of\b",
        re.I,
    ),
}


_AGE_WORDS = re.compile(
    r"\b(?:years?|year-old|aged?|centur(?:y|ies)|decades?|old|born|built|founded|established|"
    r"opened|dat(?:e|es|ed|ing))\b|\b(?:1[0-9]|20)\d{2}s?\b|\b\d{3}0s\b",
    re.I,
)
_NOT_AGE = re.compile(
    r"[$£€¥₩%]|\b(?:percent|per cent|million|billion|trillion|seconds?|minutes?|hours?|days?|"
    r"weeks?|months?|miles?|km|kilomet(?:er|re)s?|times)\b",
    re.I,
)
# A figure that names a day or a year, not a number of things: "on February 10", "in 1998".
_DAY_OR_YEAR = re.compile(
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b"
    r"|\b(?:in|since|by|from|until|till|of|between|during|before|after|and|to)\s+(?:1[0-9]|20)\d{2}s?\b"
)


def _could_be_age(figure: str) -> bool:
    digits = re.search(r"\d[\d,]*", figure)
    return digits is None or int(digits.group().replace(",", "")) <= 150


def asked_measure(question: str) -> Measure | None:
    """What a how-much or how-many question measures (`Measure`), or None when it does not say."""
    if asks_for_money(question):
        return Measure.MONEY
    for pattern, measure in _ASKS_FOR_MEASURE:
        if pattern.search(question):
            if measure is Measure.DURATION and _BETWEEN_DATES.search(question):
                return None  # "How many months after Lee took office...?" is read off two dates
            return measure
    return None


def holds_measure(text: str, measure: Measure) -> bool:
    """Whether a sentence gives a figure of the kind `measure` asks for. A count is any figure
    that is not part of a date: "on February 10" does not say how many votes are needed."""
    if measure is Measure.MONEY:
        return holds_money(text)
    if measure is Measure.AGE:
        # An age is often a bare figure ("at 20 he dropped out", "in their fifties"), but
        # not a sum, a share or a span of weeks ("close for six weeks").
        undated = _DAY_OR_YEAR.sub(" ", text)
        return bool(_AGE_WORDS.search(text)) or any(
            not _NOT_AGE.search(undated[m.start() : m.end() + 12]) and _could_be_age(m.group())
            for m in _QUANTITY.finditer(undated)
        )
    if measure in (Measure.COUNT, Measure.AMOUNT, Measure.RATE):
        return bool(_QUANTITY.search(_DAY_OR_YEAR.sub(" ", text)))
    return bool(_HOLDS_MEASURE[measure].search(text))


def unmet_measure(question: str, sentence: str) -> Measure | None:
    """What a question measures that `sentence` (the one it would be answered with) does
    not give: "over 300 workers" is not what Hyundai invested, "20 minutes" not how many
    miles, "on February 10" not how many votes. None when it gives it or nothing is asked."""
    measure = asked_measure(question)
    return None if measure is None or holds_measure(sentence, measure) else measure


# "Which company will do the repair?" asks for a name: "The repair will cost $41 million"
# names none, and "upgrade the kitchens at six schools" does not say which six.
_NAMED_THINGS = (
    r"compan(?:y|ies)|firms?|business(?:es)?|corporations?|banks?|schools?|colleges?|"
    r"universit(?:y|ies)|hospitals?|boats?|ships?|vessels?|teams?|clubs?|bands?|newspapers?|"
    r"magazines?|airlines?|agenc(?:y|ies)|contractors?|brands?|part(?:y|ies)|restaurants?|"
    r"stores?|hotels?|churche?s?|streets?|songs?|albums?|films?|movies?|books?|"
    r"manufacturers?|automakers?|carmakers?|networks?|languages?|countr(?:y|ies)|cit(?:y|ies)|"
    r"towns?|states?|provinces?|islands?|rivers?"
)
_FRAMING = (
    r"(?!(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|type|kind|sort|"
    r"part|parts|sorts|kinds|types|of|the|a|an)\b)"
)
_ASKS_FOR_NAME = re.compile(
    rf"^\W*(?:which\s+(?:{_FRAMING}[\w-]+\s+){{0,2}}?|what\s+(?:{_FRAMING}[\w-]+\s+)?)"
    rf"(?P<thing>{_NAMED_THINGS})\b",
    re.I,
)


_CALENDAR = re.compile(rf"(?:{_MONTHS}|{_DAYS})")


def asked_name(question: str) -> str | None:
    """The kind of thing a which-company (school, boat...) question asks to be named, as typed,
    or None when it asks no such thing."""
    match = _ASKS_FOR_NAME.search(question)
    return match.group("thing").lower() if match else None


def holds_new_name(text: str, question: str, names: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence holds a name the question lacks: a capitalised word past its first,
    or a first word that the article's names hold or that opens a longer name."""
    asked = {stem(w) for w in words(question)}
    for match in re.finditer(r"(?<![\w’'])[A-Z][\w&’'.-]*(?:\s+[A-Z][\w&’'.-]*)*", text):
        opening = match.start() == 0 or text[: match.start()].rstrip().endswith(("—", ":"))
        first = match.group().split()[0].rstrip(".’'-")
        if opening and not (
            " " in match.group() or _bare(first) in names or re.search(r"\w[A-Z-]", first)
        ):
            continue
        found = [w for w in words(match.group()) if w not in STOPWORDS]
        if found and any(stem(w) not in asked for w in found) and not _CALENDAR.fullmatch(first):
            return True
    return False


def unnamed(question: str, sentence: str, names: frozenset[str] = frozenset()) -> str | None:
    """The thing a which-company (school, boat...) question asks to be named when `sentence`
    names nothing new ("The repair will cost $41 million" names no company), else None."""
    thing = asked_name(question)
    return None if thing is None or holds_new_name(sentence, question, names) else thing


_CAP_WORD = r"(?:(?:[A-Z]\.){2,}|[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:[’']s)?)"
_NAME = re.compile(rf"(?<![\w.]){_CAP_WORD}(?:\s+{_CAP_WORD}){{0,7}}(?!\w)")
_TITLE_WORDS = frozenset(
    [
        "President",
        "Secretary",
        "Minister",
        "Prime",
        "Deputy",
        "Director",
        "Commerce",
        "Treasury",
        "Chancellor",
        "Leader",
        "Senator",
        "Governor",
        "Chairman",
        "Chairwoman",
        "Chief",
        "Executive",
        "National",
        "Security",
        "Foreign",
        "Defense",
        "General",
        "Vice",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "Korean",
        "Chinese",
        "Japanese",
        "American",
        "South",
        "North",
        "New",
        "Former",
        "Speaker",
        "King",
        "Queen",
        "Prince",
        "Pope",
        "Representative",
        "Ambassador",
        "Mayor",
        "Premier",
        "Justice",
        "Judge",
        "Officer",
        "Commander",
        "Adviser",
        "Advisor",
        "Spokesman",
        "Spokeswoman",
        "Lord",
        "Sir",
        "Madam",
        "Professor",
        "CEO",
    ]
)
_NOT_NAMES = frozenset(
    f"""{_MONTHS.replace("|", " ")} {_DAYS.replace("|", " ")} The A An In On At For But And Yet Instead
    Without Whether As If When While After Before It This That These Those He She They We I His Her
    Their Our Its Key Korea Korean Japan Japanese China Chinese U.S. US America American
    European Europe House Force One Ministry Department Kingdom Summit Cooperation Economic Organization
    Council Committee Party University Company Group Bank Agency Court Congress Senate Parliament Order
    Heritage Site World City State States Republic Union Nations Asia Pacific Asia-Pacific Air White
    Grand Foreign Street Province Island Sea Ocean River Mountain Airport Station Commission Institute
    Fund Reserve Federal Market Exchange Times Post Journal News Agency Corporation Inc Ltd Co Corp
    Is Are Was Were Do Does Did Has Have Had Will Would Can Could Should Shall May Might Must
    What Who Whom Whose Where Why How Which Tell Please""".split()
)
_PLACE = re.compile(
    r"(?:\b(?:in|at|near|from|to|into|across|outside|inside|of)\s+(?:(?:the|a|an)\s+)?(?:(?:ancient|capital|city|town|state|province|country)\s+(?:of\s+)?)?)"
    rf"({_CAP_WORD}(?:[\s-]+{_CAP_WORD}){{0,3}})"
)


def question_type(question: str) -> AnswerType | None:
    """The kind of thing asked for, or None when the question does not say (what, why, how)."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def _bare(word: str) -> str:
    return re.sub(r"[’']s$", "", word)


def name_spans(text: str) -> list[tuple[int, int, int]]:
    """Candidate personal names: (start, end, word count), titles and non-name words trimmed."""
    spans: list[tuple[int, int, int]] = []
    for match in _NAME.finditer(text):
        words = match.group().split()
        start = match.start()
        while words and (_bare(words[0]) in _TITLE_WORDS or _bare(words[0]) in _NOT_NAMES):
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else match.end()
            words = words[1:]
        if not words or any(_bare(w) in _NOT_NAMES or _bare(w) in _TITLE_WORDS for w in words):
            continue
        end = start + len(" ".join(words))
        if text[start:end] != " ".join(words):
            continue
        end = start + len(_bare(text[start:end]))
        spans.append((start, end, len(words)))
    return spans


def known_names(texts: list[str]) -> frozenset[str]:
    """Words of the multi-word names in a document ("Lee Jae Myung" gives "Lee"), so that a
    lone "Lee" later counts as a person while a lone "Seoul" does not."""
    names: set[str] = set()
    for text in texts:
        for start, end, count in name_spans(text):
            if count >= 2:
                names.update(text[start:end].split())
    return frozenset(names)


def _person_spans(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    return [(a, b) for a, b, count in name_spans(text) if count >= 2 or text[a:b] in names]


_QUOTATION = re.compile(r"“[^”]{3,}”|\"[^\"]{3,}\"|‘[^’]{3,}’(?!\w)")
_SPEECH = re.compile(
    r"\b(?:said|says|warned|warns|told|added|noted|argued|argue|declared|declaring|decrying|decried|called|"
    r"conceded|insisted|admitted|joked|musing|echoed|announced|urged|claimed|recalled|teased|saying|"
    r"telling|put it|shrugged)\b"
)


def entity_spans(
    text: str, kind: AnswerType, names: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Spans in `text` that hold a thing of `kind`, in reading order."""
    if kind is AnswerType.QUOTE:
        spans = [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]
        if not spans:
            spans = [(m.start(), m.end()) for m in _SPEECH.finditer(text)]
    elif kind is AnswerType.QUANTITY:
        spans = [(m.start(), m.end()) for m in _QUANTITY.finditer(text)]
    elif kind is AnswerType.DATE:
        spans = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    elif kind is AnswerType.PERSON:
        spans = _person_spans(text, names)
    else:
        spans = [
            (m.start(1), m.end(1))
            for m in _PLACE.finditer(text)
            if m.group(1).split()[0] not in _TITLE_WORDS
            and not re.fullmatch(rf"(?:{_MONTHS}|{_DAYS})", m.group(1))
        ]
    return sorted({(a, b) for a, b in spans if b > a and text[a:b].strip()})


# The role that introduces a name: "Treasury Secretary Scott Bessent", and a lower-case one
# the question may name ("leader Kim Jong Un" for "Who is North Korea's leader?").
_TITLE_BEFORE = re.compile(r"((?:(?:[A-Z][\w’'.-]*|of|the)\s+){0,5}(?:[a-z][\w-]*\s+)?)$")


def find_highlight(
    text: str, kind: AnswerType | None, names: frozenset[str], question_words: set[str]
) -> tuple[tuple[int, int] | None, float]:
    """The first span of the asked-for kind that the question does not already name, and how
    strongly it answers (0 to 1). For *who*, a person introduced by the very role the question
    names ("South Korean President Lee Jae Myung" for "Who is South Korea's president?") is the
    fullest answer; a bare surname is a weak one."""
    if kind is None:
        return None, 0.0
    best: tuple[tuple[int, int] | None, float] = (None, 0.0)
    for start, end in entity_spans(text, kind, names):
        if set(words(text[start:end])) <= question_words:
            continue
        if kind is AnswerType.QUOTE:
            quoted = text[start] in '“"‘'
            return ((start, end) if quoted else None), (1.0 if quoted else 0.5)
        if kind is not AnswerType.PERSON:
            return (start, end), 1.0
        title = _TITLE_BEFORE.search(text[:start])
        strength = 0.4
        if title and title.group(1):
            role = {stem(w) for w in words(title.group(1))}
            asked = {stem(w) for w in question_words}
            shared = sum(1 for w in asked if token_matches(w, role))
            capitalised = title.group(1)[:1].isupper()
            if shared or capitalised:
                strength = 0.5 + 0.5 * min(1.0, shared / max(1, min(len(asked), 3)))
        if strength > best[1]:
            best = ((start, end), strength)
    return best


def question_anchors(question: str, names: frozenset[str]) -> list[frozenset[str]]:
    """The dates, figures and names a question pins its answer to ("on Thursday"), each as
    its set of words; a sentence holds an anchor when it holds any of them ("Lee" for
    "Lee Jae Myung")."""
    spans = entity_spans(question, AnswerType.DATE) + entity_spans(question, AnswerType.QUANTITY)
    spans += [(a, b) for a, b, n in name_spans(question) if n >= 2 or question[a:b] in names]
    anchors = [frozenset(w for w in words(question[a:b]) if w not in STOPWORDS) for a, b in spans]
    return [anchor for anchor in dict.fromkeys(anchors) if anchor]


def question_people(question: str, names: frozenset[str]) -> list[str]:
    """The people a question names: multi-word names, or single names the article uses."""
    return [question[a:b] for a, b, n in name_spans(question) if n >= 2 or question[a:b] in names]
