"""Small built-in name lists (no downloads) and nickname lookups for the synthetic force.

The lists hold common English forenames and surnames, commonest first. They are the head of
the long-tailed pools in ``simulation.extracts.names``, which both the force simulator and the
realistic extracts draw from, so that common names collide as they do in a real county (many
John Smiths, Smith about 1% of people) and rare names do not. Nicknames come from the
``nicknames`` package (Bob for Robert), restricted to forms a police officer would plausibly
type.
"""

from __future__ import annotations

from functools import cache

from nicknames import NickNamer

# fmt: off
MALE_FORENAMES: tuple[str, ...] = tuple(dict.fromkeys((
    "James", "John", "Robert", "Michael", "David", "William", "Richard", "Thomas", "Joseph",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Peter", "Alexander", "Patrick",
    "Samuel", "Benjamin", "Frank", "Gregory", "Raymond", "Harry", "Jack", "Oliver", "Charlie",
    "Alfie", "Freddie", "Henry", "Archie", "Leo", "Oscar", "Arthur", "Noah", "Theo", "Lewis",
    "Callum", "Liam", "Connor", "Kyle", "Dean", "Craig", "Lee", "Shaun", "Wayne", "Darren",
    "Neil", "Ian", "Keith", "Colin", "Graham", "Malcolm", "Derek", "Trevor", "Barry", "Philip",
    "Martin", "Simon", "Adam", "Luke", "Nathan", "Aaron", "Jamie", "Scott", "Stuart", "Ross",
    "Alan", "Roger", "Geoffrey", "Dennis", "Ronald", "Frederick", "Albert", "Walter", "Leonard",
    "Stanley", "Harold", "Norman", "Bernard", "Douglas", "Gordon", "Reece", "Mason", "Ethan",
    "Tyler", "Owen", "Dylan", "Max", "Jake", "Toby", "Finley", "Riley", "Logan", "Joel",
)))
FEMALE_FORENAMES: tuple[str, ...] = tuple(dict.fromkeys((
    "Mary", "Patricia", "Jennifer", "Elizabeth", "Susan", "Margaret", "Sarah", "Karen",
    "Nancy", "Lisa", "Emma", "Rebecca", "Laura", "Rachel", "Deborah", "Katherine", "Catherine",
    "Helen", "Amanda", "Victoria", "Samantha", "Stephanie", "Jessica", "Hannah", "Charlotte",
    "Emily", "Amy", "Louise", "Claire", "Nicola", "Joanne", "Michelle", "Kelly", "Gemma",
    "Natalie", "Lauren", "Sophie", "Chloe", "Megan", "Olivia", "Amelia", "Isla", "Ava", "Mia",
    "Grace", "Lily", "Freya", "Ella", "Poppy", "Ruby", "Evie", "Isabella", "Jacqueline",
    "Christine", "Janet", "Julie", "Alison", "Angela", "Tracey", "Lorraine", "Dawn", "Wendy",
    "Sandra", "Carol", "Linda", "Pauline", "Jean", "Dorothy", "Barbara", "Joan", "Irene",
    "Doreen", "Shirley", "Sheila", "Brenda", "Valerie", "Maureen", "Gillian", "Diane", "Anne",
    "Alice", "Florence", "Sophia", "Abigail", "Jade", "Leanne", "Kirsty", "Danielle", "Zoe",
    "Holly", "Bethany", "Courtney", "Shannon", "Jasmine", "Paige", "Molly", "Millie", "Daisy",
    "Phoebe", "Erin", "Eleanor", "Rosie", "Harriet", "Lucy", "Caroline", "Fiona", "Kathleen",
    "Susannah", "Josephine", "Theresa", "Victoria", "Abby", "Natasha", "Stacey", "Kerry",
)))
SURNAMES: tuple[str, ...] = tuple(dict.fromkeys((
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Harrison", "Lewis", "Edwards", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harris", "Lee", "Baker", "Allen",
    "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett", "Young",
    "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell",
    "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson",
    "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy",
    "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer", "Campbell",
    "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker", "Powell", "Stevens",
    "Kaur", "Fisher", "Butler", "Dixon", "Russell", "Harvey", "Pearson", "Graham", "Armstrong",
    "Nixon", "Irving", "Routledge", "Graves", "Tweddle", "Bewley", "Dobson", "Atkinson",
    "Stephenson", "Jackman", "Teasdale", "Bowness", "Hodgson", "Postlethwaite", "Fell",
    "Bragg", "Hetherington", "Pattinson", "Musgrave", "Salkeld", "Relph", "Sewell", "Dalton",
    "Ritson", "Tyson", "Birkett", "Lancaster", "Wilkinson", "Bowman", "Airey", "Nicholson",
    "Kirkbride", "Rigg", "Steel", "Moffat", "Carruthers", "Elliot", "Little", "Bell", "Forster",
    "Charlton", "Robson", "Milburn", "Armstrong", "Johnstone", "Irwin", "Scott", "Hodgson",
    "Gibson", "Jardine", "Lowther", "Wharton", "Hutchinson", "Noble", "Thwaite", "Sharp",
    "Slater", "Walton", "Gate", "Sowerby", "Pickthall", "Gilpin", "Crosthwaite", "Harker",
)))
STREETS: tuple[str, ...] = tuple(dict.fromkeys((
    "Church Street", "Station Road", "Main Street", "High Street", "Mill Lane", "Park Road",
    "Victoria Road", "Queen Street", "King Street", "Market Street", "Fell View", "Lake Road",
    "Castle Street", "Chapel Lane", "School Lane", "Brook Street", "Howe Close", "Beck Side",
    "Moor Lane", "Priory Road", "Green Lane", "West Lane", "North Road", "Scaw Road",
    "Harbour View", "Dale Terrace", "Abbey Road", "Fairfield", "Thirlmere Avenue", "Eden Mount",
)))
# fmt: on


_MAX_NICK_LEN = 8


@cache
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Forename -> plausible nicknames (capitalised, sorted for determinism)."""
    namer = NickNamer()
    table: dict[str, tuple[str, ...]] = {}
    for name in sorted(set(MALE_FORENAMES) | set(FEMALE_FORENAMES)):
        nicks = sorted(
            n.capitalize()
            for n in namer.nicknames_of(name.lower())
            if 2 < len(n) <= _MAX_NICK_LEN and n.isalpha() and n != name.lower()
        )
        if nicks:
            table[name] = tuple(nicks)
    return table
