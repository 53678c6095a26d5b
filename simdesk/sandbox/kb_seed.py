"""The sandbox's seeded knowledge bases: tag vocabularies, tagged documents, their chunks, and the
sandbox's own toy embedding.

Sim stores up to 17 tag values per document in fixed slots (``tag1``–``tag7`` text,
``number1``–``number5``, ``date1``–``date2``, ``boolean1``–``boolean3``) and names each used slot
with a display name per knowledge base; callers filter by display name. The documents below use
those slots the same way.

The embedding is NOT Sim's (Sim calls an embedding model): :func:`embed` hashes the words of a text
into a 64-dimension unit vector, so texts sharing words are near and the results of a vector search
are the same on every run. It exists only to make the sandbox's vector search deterministic.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from simdesk.sandbox.demo import T0, WS_DEMO, WS_TEAM

DIMENSIONS = 64
SMALL_MODEL = "text-embedding-3-small"
LARGE_MODEL = "text-embedding-3-large"
DEFAULT_CHUNKING = {"maxSize": 1024, "minSize": 100, "overlap": 200}

KB_HANDBOOK = "kb-0000-handbook"
KB_SUPPORT = "kb-0000-support"
KB_LEGAL = "kb-0000-legal"  # a different embedding model: cannot be vector-searched with the others
KB_TEAM = "kb-0000-teamwiki"

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class TagDef:
    """A tag of a knowledge base: its display name, the slot holding it, and its field type."""

    display_name: str
    slot: str
    field_type: str  # text | number | date | boolean


@dataclass(frozen=True)
class Doc:
    id: str
    kb_id: str
    filename: str
    mime_type: str
    chunks: tuple[str, ...]
    tags: dict[str, Any] = field(default_factory=dict)  # slot → value
    status: str = "completed"
    enabled: bool = True
    uploaded_at: float = T0

    @property
    def character_count(self) -> int:
        return sum(len(c) for c in self.chunks)

    @property
    def token_count(self) -> int:
        return sum(len(_WORD.findall(c.lower())) for c in self.chunks)

    @property
    def file_size(self) -> int:
        return self.character_count * 3 + 512  # the stored file is bigger than its extracted text

    @property
    def searchable(self) -> bool:
        """Sim searches only enabled documents whose processing completed."""
        return self.enabled and self.status == "completed"


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    workspace_id: str
    name: str
    description: str | None
    tag_defs: tuple[TagDef, ...]
    embedding_model: str = SMALL_MODEL
    created_at: float = T0

    @property
    def embedding_dimension(self) -> int:
        return 3072 if self.embedding_model == LARGE_MODEL else 1536


def embed(text: str) -> list[float]:
    """The sandbox's deterministic toy embedding (see the module docstring)."""
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[digest[0] % DIMENSIONS] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def cosine_distance(a: list[float], b: list[float]) -> float:
    """pgvector's ``<=>``: 1 − cosine similarity."""
    return 1.0 - sum(x * y for x, y in zip(a, b, strict=True))


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` (what the sandbox's full-text leg matches)."""
    return _WORD.findall(text.lower())


_HANDBOOK_TAGS = (
    TagDef("Category", "tag1", "text"),
    TagDef("Version", "number1", "number"),
    TagDef("Published", "date1", "date"),
    TagDef("Internal", "boolean1", "boolean"),
)

KNOWLEDGE_BASES = (
    KnowledgeBase(
        KB_HANDBOOK, WS_DEMO, "Product handbook", "How the product is installed, priced and run.", _HANDBOOK_TAGS
    ),
    KnowledgeBase(
        KB_SUPPORT,
        WS_DEMO,
        "Support FAQ",
        "Answers the support team gives most often.",
        (TagDef("Topic", "tag1", "text"), TagDef("Priority", "number1", "number")),
        created_at=T0 + 600,
    ),
    KnowledgeBase(KB_LEGAL, WS_DEMO, "Legal archive", None, (), embedding_model=LARGE_MODEL, created_at=T0 + 1200),
    KnowledgeBase(KB_TEAM, WS_TEAM, "Team wiki", "Team Ops notes.", (TagDef("Owner", "tag1", "text"),)),
)

DOCUMENTS = (
    Doc(
        "doc-0001-install",
        KB_HANDBOOK,
        "install-guide.md",
        "text/markdown",
        (
            "Install the desktop app, then create an API key in Settings and paste it into the profile.",
            "Self-hosted servers need the V2_API flag for workspaces, folders and run history.",
        ),
        {"tag1": "guide", "number1": 2, "date1": "2026-05-01", "boolean1": False},
        uploaded_at=T0 + 100,
    ),
    Doc(
        "doc-0002-pricing",
        KB_HANDBOOK,
        "pricing.pdf",
        "application/pdf",
        (
            "The free plan includes a monthly usage limit; paid plans raise the limit and the rate limits.",
            "Vector searches of a knowledge base count against usage because the query is embedded.",
        ),
        {"tag1": "billing", "number1": 3, "date1": "2026-06-15", "boolean1": False},
        uploaded_at=T0 + 200,
    ),
    Doc(
        "doc-0003-release",
        KB_HANDBOOK,
        "release-notes.md",
        "text/markdown",
        ("Release 4 adds knowledge base search with tag filters and hybrid search mode.",),
        {"tag1": "changelog", "number1": 4, "date1": "2026-07-20", "boolean1": False},
        uploaded_at=T0 + 300,
    ),
    Doc(
        "doc-0004-runbook",
        KB_HANDBOOK,
        "oncall-runbook.md",
        "text/markdown",
        (
            "When the API key is rejected, rotate the key and restart the workers.",
            "Rate limit alarms page the on-call engineer after five minutes.",
        ),
        {"tag1": "ops", "number1": 1, "date1": "2026-03-10", "boolean1": True},
        uploaded_at=T0 + 400,
    ),
    Doc(
        "doc-0005-roadmap",
        KB_HANDBOOK,
        "draft-roadmap.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (),
        {"tag1": "planning"},
        status="processing",
        uploaded_at=T0 + 500,
    ),
    Doc(
        "doc-0006-oldfaq",
        KB_HANDBOOK,
        "old-faq.txt",
        "text/plain",
        ("The old API key format started with sim_ and is no longer accepted.",),
        {"tag1": "guide", "number1": 1},
        enabled=False,
        uploaded_at=T0 + 50,
    ),
    Doc(
        "doc-0101-reset",
        KB_SUPPORT,
        "password-reset.md",
        "text/markdown",
        ("To reset a password, open the sign-in page and choose Forgot password.",),
        {"tag1": "account", "number1": 2},
        uploaded_at=T0 + 700,
    ),
    Doc(
        "doc-0102-limits",
        KB_SUPPORT,
        "rate-limits.md",
        "text/markdown",
        ("A 429 answer means the rate limit is spent; wait for the Retry-After seconds and try again.",),
        {"tag1": "api", "number1": 1},
        uploaded_at=T0 + 800,
    ),
    Doc(
        "doc-0201-terms",
        KB_LEGAL,
        "terms-2026.pdf",
        "application/pdf",
        ("These terms govern the use of the service and its API.",),
        uploaded_at=T0 + 1300,
    ),
    Doc(
        "doc-0301-shifts",
        KB_TEAM,
        "shifts.md",
        "text/markdown",
        ("The on-call rota changes every Monday.",),
        {"tag1": "ops-team"},
        uploaded_at=T0 + 3700,
    ),
)
