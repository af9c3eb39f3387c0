"""Naming traditions of the ``diverse`` profile: name pools and how each is written down.

Each tradition lists male and female forenames, surnames (commonest first) and the spelling
variants a name takes when different people transliterate or anglicise it. The lists are made
up of common names of each tradition (no real person's data); ``docs/simulation.md`` says where
each habit comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tradition:
    """One naming tradition: pools, and the habits of its names in English-language records."""

    name: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    #: a name -> other spellings of it met in records (transliteration, anglicisation)
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: share of a married woman's records that carry her husband's surname
    takes_husband_surname: float = 0.9
    #: records written family name first (forename and surname fields swapped)
    family_first: float = 0.0
    #: a surname with male and female forms (Kowalski / Kowalska)
    gendered: dict[str, str] = field(default_factory=dict)
    #: children's surname is the father's forename (Somali naming)
    patronymic_surname: bool = False
    #: middle name made from the father's forename (Ivanovich / Ivanovna)
    patronymic_middle: bool = False


# fmt: off
SOUTH_ASIAN = Tradition(
    "south_asian",
    male=("Mohammed", "Muhammad", "Ahmed", "Ali", "Hassan", "Imran", "Asif", "Tariq", "Zain",
          "Bilal", "Usman", "Amir", "Faisal", "Raj", "Sanjay", "Arjun", "Vikram", "Gurpreet",
          "Sandeep", "Amit", "Ravi", "Suresh", "Rahul", "Kamran", "Shahid", "Nadeem", "Abdul",
          "Rizwan", "Yusuf", "Haroon", "Arif", "Sajid", "Waqas", "Zubair", "Harjit", "Jaswinder"),
    female=("Fatima", "Aisha", "Zainab", "Maryam", "Noor", "Amina", "Sana", "Saima", "Nadia",
            "Priya", "Anjali", "Sunita", "Kiran", "Simran", "Shabana", "Rukhsana", "Nasreen",
            "Farzana", "Samina", "Shazia", "Parveen", "Rubina", "Sakina", "Asma", "Mehreen"),
    surnames=("Khan", "Ahmed", "Ali", "Hussain", "Shah", "Iqbal", "Akhtar", "Mahmood", "Rashid",
              "Patel", "Singh", "Sharma", "Gupta", "Kumar", "Choudhury", "Rahman", "Miah",
              "Uddin", "Islam", "Malik", "Butt", "Qureshi", "Siddiqui", "Mirza", "Anwar",
              "Aslam", "Hanif", "Sadiq", "Javed", "Bashir", "Chaudhry", "Rana", "Sandhu", "Gill"),
    variants={
        "Mohammed": ("Muhammad", "Mohammad", "Mohamed", "Muhammed", "Mohd"),
        "Muhammad": ("Mohammed", "Mohammad", "Mohamed", "Muhammed"),
        "Ahmed": ("Ahmad", "Ahmet"), "Hussain": ("Hussein", "Husain", "Hosain"),
        "Choudhury": ("Chowdhury", "Chaudhry", "Chaudhary", "Choudhry"),
        "Chaudhry": ("Choudhury", "Chaudhary"), "Rahman": ("Rehman", "Rahaman"),
        "Aisha": ("Ayesha", "Aysha", "Ayisha"), "Fatima": ("Fatimah", "Fatma"),
        "Mahmood": ("Mahmud", "Mehmood", "Mahmoud"), "Qureshi": ("Kureshi", "Qureshy"),
        "Iqbal": ("Ikbal",), "Yusuf": ("Yousef", "Yusef", "Youssef", "Yousuf"),
        "Usman": ("Osman", "Uthman"), "Zainab": ("Zaynab", "Zenab"), "Maryam": ("Mariam",),
        "Amina": ("Aminah", "Ameena"), "Nasreen": ("Nasrin",), "Parveen": ("Perveen", "Parvin"),
        "Shahid": ("Shahed",), "Abdul": ("Abdool",), "Miah": ("Mia", "Meah"),
        "Siddiqui": ("Siddiqi", "Sidiqui"), "Haroon": ("Harun", "Haroun"),
    },
    takes_husband_surname=0.5,
)

MIDDLE_EAST_AFRICA = Tradition(
    "somali_arabic",
    male=("Abdi", "Abdullahi", "Mohamed", "Omar", "Osman", "Yusuf", "Ibrahim", "Hassan",
          "Abdirahman", "Khalid", "Mustafa", "Ismail", "Ahmed", "Hamza", "Said", "Farah",
          "Abdirashid", "Nur", "Jama", "Hussein", "Mahmoud", "Karim", "Tarek", "Samir"),
    female=("Hodan", "Amina", "Fadumo", "Hawa", "Sahra", "Ayan", "Hibo", "Asha", "Nimco",
            "Deeqa", "Layla", "Khadija", "Maryan", "Ifrah", "Sagal", "Hanan", "Rania", "Salma",
            "Yasmin", "Leila", "Nour", "Samira"),
    surnames=("Mohamed", "Ali", "Hassan", "Abdi", "Ahmed", "Omar", "Yusuf", "Farah", "Jama",
              "Ibrahim", "Osman", "Warsame", "Hussein", "Nur", "Elmi", "Aden", "Duale",
              "Al-Masri", "El-Sayed", "Haddad", "Mansour", "Khalil", "Nasser", "Saleh"),
    variants={
        "Mohamed": ("Mohammed", "Mohamud", "Maxamed", "Muhammad"), "Omar": ("Umar", "Omer"),
        "Osman": ("Othman", "Usman", "Cusmaan"), "Abdirahman": ("Abdulrahman", "Abdi Rahman",
        "Abdurahman"), "Abdullahi": ("Abdallah", "Abdulahi", "Abdillahi"),
        "Khadija": ("Khadijah", "Hadija", "Kadija"), "Mustafa": ("Mustapha", "Mostafa"),
        "Hussein": ("Hussain", "Husein", "Xuseen"), "Fadumo": ("Faduma", "Fatuma"),
        "Hawa": ("Hawo", "Xawo"), "Sahra": ("Sahro", "Zahra"), "Layla": ("Leila", "Laila"),
        "Ismail": ("Ismael", "Esmail"), "Ibrahim": ("Ebrahim", "Ibraahim"),
        "Said": ("Saeed", "Sayed"), "El-Sayed": ("Elsayed", "El Sayed", "Sayed"),
        "Al-Masri": ("Almasri", "Al Masri", "Masri"), "Nasser": ("Nasir", "Naser"),
        "Yasmin": ("Yasmeen", "Jasmin"), "Samira": ("Sameera",), "Nour": ("Noor", "Nur"),
    },
    takes_husband_surname=0.0,
    patronymic_surname=True,
)

EASTERN_EUROPE = Tradition(
    "eastern_european",
    male=("Łukasz", "Paweł", "Piotr", "Krzysztof", "Tomasz", "Michał", "Marcin", "Jakub",
          "Mateusz", "Wojciech", "Andrzej", "Grzegorz", "Bartosz", "Dariusz", "Ionuț",
          "Andrei", "Florin", "Mihai", "Ștefan", "Tomas", "Mantas", "Jonas", "Gintaras"),
    female=("Małgorzata", "Agnieszka", "Katarzyna", "Joanna", "Magdalena", "Żaneta", "Anna",
            "Ewa", "Alicja", "Monika", "Ioana", "Elena", "Andreea", "Aušra", "Rūta", "Beata",
            "Dorota", "Izabela", "Justyna", "Mădălina"),
    surnames=("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski",
              "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski",
              "Mazur", "Krawczyk", "Popescu", "Ionescu", "Popa", "Rusu", "Stoica",
              "Kazlauskas", "Petrauskas", "Jankauskas", "Grabowski", "Pawlak", "Michalski",
              # a longer tail of common Polish, Romanian and Lithuanian surnames
              "Kowalczyk", "Wojciechowski", "Kwiatkowski", "Kaczmarek", "Piotrowski", "Zając",
              "Pawłowski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Nowakowski",
              "Majewski", "Olszewski", "Stępień", "Malinowski", "Jaworski", "Adamczyk",
              "Dudek", "Nowicki", "Górski", "Witkowski", "Walczak", "Sikora", "Baran",
              "Rutkowski", "Michalak", "Szewczyk", "Ostrowski", "Tomaszewski", "Pietrzak",
              "Zalewski", "Wróblewski", "Marciniak", "Jasiński", "Zawadzki", "Sadowski",
              "Bąk", "Chmielewski", "Włodarczyk", "Borkowski", "Czarnecki", "Sawicki",
              "Sokołowski", "Urbański", "Kubiak", "Maciejewski", "Szczepański", "Kucharski",
              "Wilk", "Kalinowski", "Lis", "Mazurek", "Wysocki", "Adamski", "Kaźmierczak",
              "Wasilewski", "Sobczak", "Czerwiński", "Andrzejewski", "Cieślak", "Głowacki",
              "Zakrzewski", "Kołodziej", "Sikorski", "Krajewski", "Gajewski", "Szulc",
              "Pop", "Radu", "Dumitru", "Stan", "Gheorghe", "Matei", "Ciobanu", "Munteanu",
              "Constantin", "Ene", "Florea", "Dinu", "Moldovan", "Marin", "Tudor", "Ilie",
              "Lazăr", "Barbu", "Șerban", "Cristea", "Toma", "Sandu", "Nistor", "Dobre",
              "Stankevičius", "Vasiliauskas", "Žukauskas", "Butkus", "Paulauskas", "Urbonas",
              "Kavaliauskas", "Baranauskas", "Pocius", "Sakalauskas", "Navickas", "Rimkus"),
    variants={
        "Paweł": ("Pawel", "Pavel", "Paul"), "Michał": ("Michal", "Michael"),
        "Krzysztof": ("Krzystof", "Christopher", "Kris"), "Wojciech": ("Wojtek", "Voytek"),
        "Małgorzata": ("Malgorzata", "Margaret", "Gosia"), "Katarzyna": ("Kasia", "Katherine"),
        "Jakub": ("Kuba", "Jacob"), "Piotr": ("Peter",), "Tomasz": ("Tomek", "Thomas"),
        "Łukasz": ("Lukasz", "Lucas", "Luke"), "Ionuț": ("Ionut", "Ion"),
        "Ștefan": ("Stefan", "Stephen"), "Żaneta": ("Zaneta", "Janet"),
        "Mădălina": ("Madalina",), "Wiśniewski": ("Wisniewski", "Visnevski"),
        "Wójcik": ("Wojcik", "Voitsik"), "Woźniak": ("Wozniak",),
    },
    takes_husband_surname=0.95,
    gendered={"ski": "ska", "cki": "cka", "dzki": "dzka", "as": "ienė"},
)

GAELIC = Tradition(
    "gaelic",
    male=("Seán", "Séamus", "Pádraig", "Ciarán", "Eoin", "Niall", "Declan", "Cormac", "Angus",
          "Hamish", "Fergus", "Ruairí", "Conor", "Liam", "Kieran", "Darragh", "Oisín", "Cathal"),
    female=("Siobhán", "Aoife", "Niamh", "Róisín", "Orla", "Sinéad", "Caoimhe", "Máiréad",
            "Eilidh", "Catriona", "Aisling", "Gráinne", "Ciara", "Deirdre", "Bríd"),
    surnames=("MacDonald", "McDonald", "MacLeod", "McLeod", "MacKenzie", "McKenzie",
              "MacGregor", "McIntyre", "O'Brien", "O'Connor", "O'Neill", "O'Sullivan",
              "O'Reilly", "O'Donnell", "Murphy", "Kelly", "Byrne", "Doyle", "Gallagher",
              "McLaughlin", "MacAulay", "O'Driscoll", "McCarthy", "MacNeil", "Ó Súilleabháin",
              # a longer tail of common Irish and Scottish surnames
              "Ryan", "Walsh", "Doherty", "Kennedy", "Lynch", "Murray", "Quinn", "Moore",
              "O'Carroll", "Connolly", "Daly", "O'Connell", "Dunne", "Brennan", "Burke",
              "Collins", "Campbell", "Hughes", "O'Farrell", "Fitzgerald", "Maguire", "Nolan",
              "Flynn", "O'Callaghan", "Duffy", "O'Mahony", "Boyle", "Healy", "O'Shea",
              "Sweeney", "Hayes", "Kavanagh", "Power", "McGrath", "Moran", "Brady", "Casey",
              "Foley", "Fitzpatrick", "O'Leary", "McDonnell", "MacMahon", "Donnelly", "Regan",
              "Donovan", "Flanagan", "Mullan", "Barry", "Kane", "Cunningham", "Griffin",
              "Kenny", "Sheehan", "Whelan", "Lyons", "Higgins", "Cullen", "Keane", "Maher",
              "McKenna", "Hogan", "O'Keeffe", "Magee", "McNamara", "MacDermott", "O'Rourke",
              "Buckley", "O'Dwyer", "MacKay", "MacLean", "MacIntosh", "MacMillan",
              "MacPherson", "MacFarlane", "MacRae", "MacKinnon", "MacInnes", "MacLachlan",
              "MacPhee", "MacAllister", "MacBride", "MacDougall", "MacEwan", "MacIver",
              "MacLennan", "MacNab", "McGuinness", "McAteer", "O'Hare", "O'Toole", "Cassidy"),
    variants={
        "Siobhán": ("Siobhan", "Shivaun", "Chevonne"), "Niamh": ("Neve", "Neeve"),
        "Aoife": ("Aoiffe", "Eefa"), "Caoimhe": ("Keeva", "Kweeva"), "Sinéad": ("Sinead",
        "Shinead"), "Seán": ("Sean", "Shaun", "Shawn"), "Séamus": ("Seamus", "Shamus"),
        "Pádraig": ("Padraig", "Patrick", "Paddy"), "Ciarán": ("Ciaran", "Kieran", "Kieron"),
        "Róisín": ("Roisin", "Rosheen"), "Máiréad": ("Mairead", "Maraid"),
        "Oisín": ("Oisin", "Osheen"), "Ruairí": ("Ruairi", "Rory"), "Gráinne": ("Grainne",
        "Grania"), "Eoin": ("Owen", "Eoghan"), "Darragh": ("Dara",), "Bríd": ("Brid",
        "Bridget"), "Ó Súilleabháin": ("O'Sullivan", "O Suilleabhain"),
    },
)

EAST_ASIA = Tradition(
    "east_asian",
    male=("Wei", "Lei", "Jun", "Hao", "Xiaoming", "Jian", "Ming", "Minh", "Thanh", "Duc",
          "Tuan", "Hung", "Quang", "Long", "Bao", "Zhiwei", "Yong"),
    female=("Fang", "Jing", "Hui", "Yan", "Li Na", "Xiu", "Mei", "Anh", "Linh", "Huong",
            "Lan", "Mai", "Thu", "Ngoc", "Hoa", "Xiaoli"),
    surnames=("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
              "Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"),
    variants={
        "Nguyen": ("Nguyễn", "Nguen", "Ngyuen", "Nguyên"), "Tran": ("Trần", "Tranh"),
        "Le": ("Lê", "Lee"), "Pham": ("Phạm", "Fam"), "Hoang": ("Hoàng", "Huang"),
        "Vu": ("Vũ", "Voo"), "Zhou": ("Chou", "Chow"), "Chen": ("Chan", "Chenn"),
        "Wang": ("Wong",), "Huang": ("Wong", "Hwang"), "Zhang": ("Chang", "Cheung"),
        "Li": ("Lee", "Lie"), "Liu": ("Lau", "Lew"), "Wu": ("Woo", "Ng"), "Minh": ("Min",),
        "Thanh": ("Tanh", "Than"), "Linh": ("Lin",), "Ngoc": ("Ngọc", "Nhoc"),
        "Duc": ("Đức", "Duk"),
    },
    takes_husband_surname=0.1,
    family_first=0.3,
)

SLAVIC_EAST = Tradition(
    "east_slavic",
    male=("Dmitri", "Sergei", "Aleksandr", "Oleksandr", "Ivan", "Mykola", "Andriy", "Yuri",
          "Vladimir", "Nikolai", "Pavlo", "Maksym", "Viktor", "Igor"),
    female=("Yulia", "Natalia", "Olga", "Tatiana", "Svetlana", "Iryna", "Oksana", "Anastasia",
            "Yekaterina", "Kateryna", "Larysa", "Halyna"),
    surnames=("Ivanov", "Petrov", "Smirnov", "Kovalenko", "Shevchenko", "Bondarenko",
              "Melnyk", "Kravchenko", "Tkachenko", "Volkov", "Sokolov", "Popov", "Boyko",
              # a longer tail of common Russian and Ukrainian surnames
              "Kuznetsov", "Vasiliev", "Mikhailov", "Novikov", "Fedorov", "Morozov",
              "Alekseev", "Lebedev", "Semenov", "Egorov", "Pavlov", "Kozlov", "Stepanov",
              "Nikolaev", "Orlov", "Andreev", "Makarov", "Nikitin", "Zakharov", "Zaitsev",
              "Solovyov", "Borisov", "Yakovlev", "Grigoriev", "Romanov", "Vorobyov",
              "Sergeev", "Kuzmin", "Frolov", "Aleksandrov", "Dmitriev", "Korolev", "Gusev",
              "Kiselev", "Ilyin", "Maksimov", "Polyakov", "Sorokin", "Vinogradov", "Kovalev",
              "Belov", "Medvedev", "Antonov", "Tarasov", "Kovalchuk", "Oliynyk", "Shevchuk",
              "Koval", "Polishchuk", "Bondar", "Tkachuk", "Moroz", "Marchenko", "Lysenko",
              "Rudenko", "Savchenko", "Petrenko", "Klymenko", "Pavlenko", "Kravchuk",
              "Kuzmenko", "Ponomarenko", "Savchuk", "Vasylenko", "Levchenko", "Kharchenko",
              "Karpenko", "Honcharenko", "Tkach", "Melnychuk", "Yurchenko"),
    variants={
        "Dmitri": ("Dmitriy", "Dmitry", "Dimitri"), "Sergei": ("Sergey", "Serhiy", "Serguei"),
        "Aleksandr": ("Alexander", "Aleksander", "Oleksandr"), "Oleksandr": ("Aleksandr",
        "Olexandr", "Alexander"), "Yulia": ("Yuliya", "Julia", "Iuliia"), "Natalia": (
        "Natalya", "Nataliya", "Natalie"), "Tatiana": ("Tatyana", "Tetiana", "Tatjana"),
        "Yuri": ("Yury", "Iurii", "Jurij"), "Iryna": ("Irina", "Iryna"), "Andriy": ("Andrii",
        "Andrei", "Andrew"), "Yekaterina": ("Ekaterina", "Katerina"), "Mykola": ("Nikolai",),
        "Maksym": ("Maxim", "Maksim"), "Kovalenko": ("Kowalenko",), "Tkachenko": ("Tkatchenko",),
    },
    takes_husband_surname=0.9,
    gendered={"ov": "ova", "ev": "eva", "in": "ina"},
    patronymic_middle=True,
)
# fmt: on

#: (tradition, share of households) in the ``diverse`` profile; the rest are English.
DIVERSE_MIX: tuple[tuple[Tradition, float], ...] = (
    (SOUTH_ASIAN, 0.14),
    (MIDDLE_EAST_AFRICA, 0.07),
    (EASTERN_EUROPE, 0.10),
    (GAELIC, 0.10),
    (EAST_ASIA, 0.05),
    (SLAVIC_EAST, 0.04),
)
