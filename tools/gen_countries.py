#!/usr/bin/env python3
"""Generates src/text/country/table.rs: ISO 3166-1 alpha-3 codes with their names in
English, French, Spanish, Romanian and Russian (Unicode CLDR, through Babel), the ISO
names (pycountry), and the other names publishers use (ALIASES below).

Run by hand when the list needs a change (pip install babel pycountry); the output is
committed, so neither is needed to build or test tocsin.
"""
import re
import sys

import pycountry
from babel import Locale

LANGS = ["en", "fr", "es", "ro", "ru"]

# Names publishers use that CLDR's and ISO's do not give, by alpha-3 code.
ALIASES = {
    "COD": ["Democratic Republic of the Congo", "Democratic Republic of Congo", "DR Congo",
            "DRC", "République démocratique du Congo", "RD Congo", "RDC",
            "República Democrática del Congo", "Republica Democrată Congo",
            "Демократическая Республика Конго", "ДР Конго", "ДРК"],
    "COG": ["Republic of the Congo", "Congo", "République du Congo", "República del Congo",
            "Республика Конго"],
    "PSE": ["Palestine", "State of Palestine", "Occupied Palestinian Territory",
            "Occupied Palestinian Territories", "OPT", "Territoire palestinien occupé",
            "Territoires palestiniens occupés", "Palestina", "Territorio Palestino Ocupado",
            "Палестина", "Государство Палестина"],
    "RUS": ["Russian Federation", "Fédération de Russie", "Federación de Rusia",
            "Federaţia Rusă", "Federația Rusă", "Российская Федерация", "РФ"],
    "MDA": ["Republic of Moldova", "Moldavia", "Moldavie", "Republica Moldova",
            "Молдавия", "Республика Молдова", "Transnistria", "Transnistrie",
            "Transnistria region", "Приднестровье"],
    "GBR": ["UK", "Great Britain", "Britain", "Royaume Uni", "Marea Britanie",
            "Соединённое Королевство", "Соединенное Королевство"],
    "USA": ["US", "U.S.", "USA", "U.S.A.", "United States of America", "Etats-Unis",
            "Etats-Unis d'Amérique", "EE.UU.", "EEUU", "SUA", "США"],
    "TUR": ["Turkey", "Turquia", "Турецкая Республика"],
    "CZE": ["Czech Republic", "République tchèque", "República Checa", "Republica Cehă",
            "Чешская Республика"],
    "MKD": ["Macedonia", "FYROM", "Macédoine", "Македония"],
    "SWZ": ["Swaziland", "Swazilande", "Suazilandia", "Свазиленд"],
    "KGZ": ["Kyrgyz Republic", "Kirghizistan", "Kirguizistán", "Kârgâzstan", "Kîrgîzstan",
            "Кыргызстан", "Киргизстан"],
    "BLR": ["Bélarus", "Bielorussie", "Belarús", "Белоруссия", "Bielorusia",
            "Republica Belarus", "Беларусь"],
    "CIV": ["Ivory Coast", "Côte d'Ivoire", "Costa de Marfil", "Coasta de Fildeș",
            "Кот-д'Ивуар"],
    "KOR": ["Republic of Korea", "Южная Корея"],
    "PRK": ["Democratic People's Republic of Korea", "DPRK", "Северная Корея"],
    "IRN": ["Islamic Republic of Iran", "République islamique d'Iran",
            "República Islámica de Irán", "Исламская Республика Иран"],
    "SYR": ["Syrian Arab Republic", "République arabe syrienne", "República Árabe Siria"],
    "VEN": ["Bolivarian Republic of Venezuela", "República Bolivariana de Venezuela"],
    "VNM": ["Viet Nam", "Vietnam", "Viêt Nam", "Вьетнам"],
    "LAO": ["Lao PDR", "Lao People's Democratic Republic"],
    "BOL": ["Bolivia", "Plurinational State of Bolivia"],
    "TZA": ["Tanzania", "United Republic of Tanzania", "Tanzanie"],
    "MMR": ["Myanmar", "Burma", "Birmanie", "Birmania", "Бирма", "Мьянма"],
    "ARE": ["UAE", "EAU", "ОАЭ"],
    "SAU": ["KSA", "Arabie Saoudite", "Arabia Saudí"],
    "KAZ": ["Kazakstan", "Kazajistán", "Казахстан"],
    "TKM": ["Turkménistan", "Туркмения"],
    "UZB": ["Ouzbékistan", "Узбекистан"],
    "TJK": ["Tadjikistan", "Tayikistán", "Таджикистан"],
    "AZE": ["Azerbaïdjan", "Azerbaiyán", "Азербайджан"],
    "ARM": ["Arménie", "Армения"],
    "GEO": ["Géorgie", "Грузия"],
    "UKR": ["Ukraine", "Украина"],
    "BHR": ["Bahreïn", "Bahrein", "Бахрейн"],
    "XKX": ["Kosovo", "Косово"],
    "VAT": ["Holy See", "Vatican"],
    "BRN": ["Brunei Darussalam"],
    "CPV": ["Cape Verde", "Cap-Vert", "Cabo Verde"],
    "TLS": ["East Timor", "Timor-Leste", "Timor oriental"],
    "FSM": ["Micronesia"],
    "GMB": ["The Gambia", "Gambia", "Gambie"],
    "BHS": ["The Bahamas"],
}

# Codes CLDR has that ISO 3166-1 lacks but publishers use.
EXTRA = {"XKX": "XK"}


def clean(name):
    return name.replace("\u2019", "'").strip()


def variants(name):
    """A name and, for `X (Y)` or `X, Y of`, its parts."""
    out = [clean(name)]
    m = re.match(r"^(.*?)\s*\((.*)\)$", name)
    if m:
        out += [clean(m.group(1)), clean(m.group(2))]
    m = re.match(r"^(.*?), (.*)$", name)
    if m:
        # "Congo, The Democratic Republic of the": only the reordered name, never
        # "Congo" alone, which names another country.
        out.append(clean(f"{m.group(2)} {m.group(1)}"))
    return out


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    locs = {l: Locale(l).territories for l in LANGS}
    rows = []
    entries = [(c.alpha_3, c.alpha_2, c) for c in pycountry.countries]
    entries += [(a3, a2, None) for a3, a2 in EXTRA.items()]
    for a3, a2, c in sorted(entries):
        names = [clean(locs[l].get(a2, "")) for l in LANGS]
        if not all(names):
            sys.exit(f"{a3}: a name is missing: {names}")
        other = []
        for n in names:
            other += variants(n)
        if c is not None:
            for attr in ("name", "official_name", "common_name"):
                v = getattr(c, attr, None)
                if v:
                    other += variants(v)
        other += ALIASES.get(a3, [])
        seen, aliases = set(names), []
        for o in other:
            if o and o not in seen:
                seen.add(o)
                aliases.append(o)
        rows.append((a3, names, aliases))
    print("// Generated by tools/gen_countries.py from Unicode CLDR (Babel) and ISO 3166-1")
    print("// (pycountry) names, plus the aliases in that script. Do not edit by hand.")
    print()
    print("use super::Country;")
    print()
    print("pub(super) static TABLE: &[Country] = &[")
    for a3, names, aliases in rows:
        print("    Country {")
        print(f"        code: {rust_str(a3)},")
        print(f"        names: [{', '.join(rust_str(n) for n in names)}],")
        print(f"        aliases: &[{', '.join(rust_str(a) for a in aliases)}],")
        print("    },")
    print("];")


main()
