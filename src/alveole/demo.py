"""Demo data: a Belleville community (Paris 20e) with its organizer, two hosts, a participant,
six published workshops with upcoming sessions and one proposal awaiting approval; and, to try
the loop of attendance and feedback, a session starting half an hour after the first load with
Chloé booked (her confirmation email carries the check-in code for Amina to check her in) and a
session that ended yesterday which Chloé attended (the worker sends her the feedback link).

`load_demo(now)` is idempotent: a second run adds nothing and returns the same logins. It goes
through the use cases (accounts and workshops services) like a user would; the hosts' bios and
skills are written once, on creation. No email is queued for the demo's own moderation steps.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from accounts import schemas as accounts_schemas
from accounts import service as accounts
from accounts.auth import CurrentUser
from kernel.clock import FrozenClock
from kernel.events import RecordingNotifier
from kernel.runtime import Runtime
from kernel.sql import write_transaction
from workshops import schemas, service
from workshops.enums import Payment, WaitlistMode, WorkshopStatus

PASSWORD = "alveole-demo"
PARIS = ZoneInfo("Europe/Paris")
COMMUNITY = "belleville"


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    display_name: str
    bio: str = ""
    skills: tuple[str, ...] = ()
    is_admin: bool = False


ADMIN = DemoUser("admin", "admin@alveole.test", "Admin Alvéole", is_admin=True)
ORGANIZER = DemoUser("organizer", "nadia@alveole.test", "Nadia Haddad",
                     bio="Runs the Maison de quartier des Amandiers.")
AMINA = DemoUser(
    "host", "amina@alveole.test", "Amina Diallo",
    bio="Bike mechanic on weekdays, gardener on my balcony, and I mend everything I own.",
    skills=("bike repair", "sewing", "gardening"),
)
LOUIS = DemoUser(
    "host", "louis@alveole.test", "Louis Martin",
    bio="Retired accountant and weekend baker. Happy to share what forty years taught me.",
    skills=("sourdough", "spreadsheets", "French"),
)
CHLOE = DemoUser("participant", "chloe@alveole.test", "Chloé Bernard")
USERS = (ADMIN, ORGANIZER, AMINA, LOUIS, CHLOE)


@dataclass(frozen=True)
class DemoSession:
    days_ahead: int  # from the demo's "today" in Paris
    start: str  # local wall-clock time, HH:MM
    minutes: int
    rrule: str | None = None


@dataclass(frozen=True)
class DemoWorkshop:
    host: DemoUser
    title: str
    summary: str
    description: str
    category: str
    tags: tuple[str, ...]
    venue: tuple[str, str, float, float]
    sessions: tuple[DemoSession, ...]
    payment: Payment = Payment.free
    price_cents: int = 0
    capacity: int = 8
    language: str = "fr"
    status: WorkshopStatus = WorkshopStatus.published
    waitlist_mode: WaitlistMode = WaitlistMode.auto


AMANDIERS = ("Maison de quartier des Amandiers", "110 rue des Amandiers, 75020 Paris", 48.8650, 2.3890)
RESSOURCERIE = ("Ressourcerie de Belleville", "15 rue Ramponeau, 75020 Paris", 48.8712, 2.3790)
JARDIN = ("Jardin partagé de la Mare", "33 rue de la Mare, 75020 Paris", 48.8711, 2.3862)
CAFE = ("Café associatif La Commune", "8 rue Dénoyez, 75020 Paris", 48.8713, 2.3775)
BIBLIOTHEQUE = ("Bibliothèque Couronnes", "66 rue des Couronnes, 75020 Paris", 48.8693, 2.3831)

WORKSHOPS = (
    DemoWorkshop(
        AMINA, "Réparer son vélo : freins et vitesses",
        "Learn to adjust brakes and derailleurs on your own bike, with tools provided.",
        "Bring your bike (any kind). We start with a safety check, then everyone adjusts their own "
        "brakes and gears with help. Tools, grease and spare cables are provided.",
        "repair", ("vélo", "bike", "repair"), RESSOURCERIE,
        (DemoSession(4, "10:00", 150), DemoSession(18, "10:00", 150)), capacity=6,
    ),
    DemoWorkshop(
        LOUIS, "Pain au levain",
        "Feed a starter, knead, shape and bake a sourdough loaf; take home some starter.",
        "We bake together in the community kitchen. You leave with a loaf, a jar of starter and a "
        "printed schedule for baking at home. The fee covers flour and energy.",
        "cooking", ("pain", "bread", "levain"), AMANDIERS,
        (DemoSession(6, "09:30", 180),), payment=Payment.on_site, price_cents=500, capacity=8,
    ),
    DemoWorkshop(
        LOUIS, "Tableur : les bases",
        "Formulas, sums and a household budget in a free spreadsheet, step by step.",
        "For complete beginners. Bring a laptop if you have one; a few are available on site. We use "
        "LibreOffice Calc, and everything applies to other spreadsheets too.",
        "digital", ("tableur", "spreadsheet", "budget"), BIBLIOTHEQUE,
        (DemoSession(5, "14:00", 120), DemoSession(12, "14:00", 120)), capacity=10,
        waitlist_mode=WaitlistMode.offer,
    ),
    DemoWorkshop(
        AMINA, "Couture et raccommodage",
        "Sew on buttons, darn socks and patch jeans: visible mending with a neighbour.",
        "Bring one or two garments that need care. Needles, threads and fabric scraps are provided. "
        "A small fee covers the materials.",
        "crafts", ("couture", "mending", "zéro déchet"), RESSOURCERIE,
        (DemoSession(9, "18:30", 120),), payment=Payment.on_site, price_cents=300, capacity=8,
    ),
    DemoWorkshop(
        AMINA, "Potager sur le balcon",
        "Grow herbs and salads in pots: soil, seeds, watering and what grows in the shade.",
        "We plant together in the shared garden and everyone leaves with a pot of herbs. Good for "
        "small balconies and windowsills.",
        "gardening", ("jardin", "balcon", "garden"), JARDIN,
        (DemoSession(11, "10:30", 90), DemoSession(25, "10:30", 90), DemoSession(39, "10:30", 90)),
        capacity=12,
    ),
    DemoWorkshop(
        LOUIS, "Conversation en français",
        "A relaxed weekly French conversation table for newcomers to the neighbourhood, all levels.",
        "Every Tuesday evening over tea: we talk about the neighbourhood, the news and daily life. "
        "Beginners welcome; the group splits by level when it grows.",
        "languages", ("français", "conversation", "FLE"), CAFE,
        (DemoSession(7, "18:30", 90, rrule="FREQ=WEEKLY;COUNT=8"),), capacity=12,
    ),
    DemoWorkshop(
        LOUIS, "Repair café : petit électroménager",
        "Bring a broken toaster, lamp or radio and we try to fix it together.",
        "Safety first: we check everything unplugged, then look for the fault together. Spare fuses "
        "and basic parts on site.",
        "repair", ("repair café", "électroménager"), AMANDIERS,
        (DemoSession(20, "14:00", 180),), capacity=10, status=WorkshopStatus.submitted,
    ),
)


def _demo_runtime(runtime: Runtime) -> Runtime:
    """The started runtime with its clock frozen at its now; events are only recorded (the demo
    mails no one)."""
    return replace(runtime, clock=FrozenClock(runtime.clock.now()), notifier=RecordingNotifier())


async def _ensure_user(person: DemoUser, now: dt.datetime) -> CurrentUser:
    user_id = await accounts.user_id_for_email(person.email)
    if user_id is None:
        user_id = await accounts.create_user(
            person.email, PASSWORD, person.display_name, now, locale="fr", timezone="Europe/Paris",
            is_admin=person.is_admin, bio=person.bio, skills=person.skills, verified=True)
    return CurrentUser(id=user_id, email=person.email, display_name=person.display_name, locale="fr",
                       timezone="Europe/Paris", is_admin=person.is_admin, email_verified=True)


async def _ensure_community() -> None:
    if await accounts.find_community_by_slug(COMMUNITY) is None:
        await accounts.create_community(accounts_schemas.CommunityCreate(
            slug=COMMUNITY, name="Belleville", timezone="Europe/Paris", locale="fr", lat=48.8722, lon=2.3790,
            moderation=True,
        ))
    await accounts.name_organizer(COMMUNITY, ORGANIZER.email)


def _session_body(today: dt.date, session: DemoSession) -> schemas.SessionCreate:
    hour, minute = (int(part) for part in session.start.split(":"))
    start = dt.datetime.combine(today + dt.timedelta(days=session.days_ahead), dt.time(hour, minute))
    return schemas.SessionCreate(starts_at=start, ends_at=start + dt.timedelta(minutes=session.minutes),
                                 timezone="Europe/Paris", rrule=session.rrule)


async def _ensure_workshop(runtime: Runtime, spec: DemoWorkshop, host: CurrentUser, organizer: CurrentUser,
                           today: dt.date) -> bool:
    """Creates the workshop unless it exists; True when it was created now."""
    if await service.find_workshop_id(host.id, spec.title) is not None:
        return False
    name, address, lat, lon = spec.venue
    # one transaction per workshop (the use cases' own transactions join it): an interrupted
    # run leaves no half-made workshop behind for the next run to skip
    async with write_transaction():
        created = await service.create_workshop(runtime, host, schemas.WorkshopCreate(
            community=COMMUNITY, title=spec.title, summary=spec.summary, description=spec.description,
            category=spec.category, tags=list(spec.tags), language=spec.language,
            venue=schemas.Venue(name=name, address=address, lat=lat, lon=lon), payment=spec.payment,
            price_cents=spec.price_cents, currency="eur", capacity=spec.capacity,
            waitlist=schemas.Waitlist(enabled=True, mode=spec.waitlist_mode, offer_ttl_minutes=120),
        ))
        for session in spec.sessions:
            await service.add_sessions(runtime, host, created.id, _session_body(today, session))
        if spec.status in (WorkshopStatus.submitted, WorkshopStatus.published):
            await service.submit_workshop(runtime, host, created.id)
        if spec.status == WorkshopStatus.published:
            await service.approve_workshop(runtime, organizer, created.id)
    return True


async def load_demo(started: Runtime) -> list[tuple[str, str, str]]:
    """Load the demo data with a started runtime; returns (role, email, password) logins."""
    runtime = _demo_runtime(started)
    now = runtime.clock.now()
    people = {person.email: await _ensure_user(person, now) for person in USERS}
    await _ensure_community()
    today = now.astimezone(PARIS).date()
    for spec in WORKSHOPS:
        await _ensure_workshop(runtime, spec, people[spec.host.email], people[ORGANIZER.email], today)
    await _ensure_the_loop(runtime, started, people, today)
    await _ensure_recipe(runtime, people[LOUIS.email])
    return [(person.role, person.email, PASSWORD) for person in USERS]


# ---------------------------------------------------------- attendance and feedback to try

DOOR_TITLE = "Crevaison : réparer sa chambre à air"
PAST_TITLE = "Compost en pied d'immeuble"


def _door_workshop(now: dt.datetime, today: dt.date) -> DemoWorkshop:
    """Starts in 30 to 35 minutes: check-in is already open (from 1 hour before the start)."""
    start = (now + dt.timedelta(minutes=35)).astimezone(PARIS)
    start = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    return DemoWorkshop(
        AMINA, DOOR_TITLE, "Find the hole, patch it and put the tyre back on, in half an hour.",
        "Bring your bike or just the inner tube. Patches and levers are provided.",
        "repair", ("vélo", "bike", "crevaison"), RESSOURCERIE,
        (DemoSession((start.date() - today).days, start.strftime("%H:%M"), 90),), capacity=6)


PAST_WORKSHOP = DemoWorkshop(
    LOUIS, PAST_TITLE, "Start a shared compost bin for the building: what goes in, what does not.",
    "We met at the foot of the building to set up the bin and sort a week of peelings together.",
    "gardening", ("compost", "zéro déchet"), JARDIN, (DemoSession(1, "18:00", 120),), capacity=10)


async def _ensure_the_loop(runtime: Runtime, started: Runtime, people: dict[str, CurrentUser],
                           today: dt.date) -> None:
    """Chloé's two bookings (made once, when their workshops are created). They go through the
    booking operations in a write transaction (the demo runs without the booking store); the
    upcoming one tells her through the real notifier (her confirmation, with the check-in code),
    the past one says nothing (it was "booked" before it happened)."""
    from booking import attendance, ops
    from booking.rules import BookingPolicy
    from booking.schemas import Attendance
    from kernel.sql import PiccoloTx, execute
    from workshops import repository as workshops_repository

    now = runtime.clock.now()
    organizer, chloe = people[ORGANIZER.email], people[CHLOE.email]
    door_host, past_host = people[AMINA.email], people[LOUIS.email]
    if await _ensure_workshop(runtime, _door_workshop(now, today), door_host, organizer, today):
        session = await _only_session(door_host, DOOR_TITLE)
        async with write_transaction():
            await ops.book_seats(PiccoloTx(started.notifier), session_id=session["id"], user_id=chloe.id, seats=1,
                                 now=now, policy=BookingPolicy())
    if await _ensure_workshop(runtime, PAST_WORKSHOP, past_host, organizer, today):
        session = await _only_session(past_host, PAST_TITLE)
        ends = (now - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        starts = ends - dt.timedelta(hours=2)
        quiet = PiccoloTx(RecordingNotifier())
        async with write_transaction():
            await execute(workshops_repository.CHANGE_SESSION, session["id"], starts, ends, session["timezone"],
                          session["capacity"], session["sequence"], now)
            booking, _ = await ops.book_seats(quiet, session_id=session["id"], user_id=chloe.id, seats=1,
                                              now=starts - dt.timedelta(days=2), policy=BookingPolicy())
            await attendance.mark_attendance(quiet, booking_id=booking.id, attendance=Attendance.attended,
                                             actor_id=past_host.id, actor_is_admin=False,
                                             now=ends + dt.timedelta(minutes=30))


async def _only_session(host: CurrentUser, title: str) -> dict:
    from workshops import repository as workshops_repository

    workshop_id = await service.find_workshop_id(host.id, title)
    (session,) = await workshops_repository.sessions_of(workshop_id)
    return session


async def _ensure_recipe(runtime: Runtime, host: CurrentUser) -> None:
    """The compost workshop ran yesterday: its recipe is published (once) for /recipes."""
    from workshops import recipes

    workshop_id = await service.find_workshop_id(host.id, PAST_TITLE)
    if workshop_id is None or await recipes.recipe_id_of_workshop(workshop_id) is not None:
        return
    await recipes.publish_recipe(runtime, host, workshop_id, schemas.RecipePublish(
        materials=["Un bac à compost de 400 litres", "Un sac de broyat (copeaux de bois)",
                   "Un bio-seau par foyer", "Une fourche"],
        steps=["Choisir avec le syndic un coin à l'ombre, sur la terre", "Monter le bac et y verser un lit de broyat",
               "Expliquer ce qui va au compost et ce qui n'y va pas", "Vider ensemble les bio-seaux de la semaine",
               "Noter qui brasse le compost chaque semaine"],
        duration_minutes=120, group_size=10, cost_note="Bac souvent offert par la mairie ; broyat gratuit",
        licence="CC-BY-SA-4.0"))
