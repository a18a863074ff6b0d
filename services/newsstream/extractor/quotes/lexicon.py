"""Word lists for quotation attribution: speech verbs, role nouns, organisation nouns.

Kept as data in one place so a missed cue is fixed by adding a word, not by touching the
attribution logic. Every list is lower-case; lookups lower-case the token first.
"""

from __future__ import annotations


def _set(text: str) -> frozenset[str]:
    """A word list written as one string (easier to read and extend than a list literal)."""
    return frozenset(text.split())


words = _set


def _weak(stem: str) -> set[str]:
    """Present, past and participle forms of a regular (weak) verb from its stem."""
    joint = "e" if stem.endswith(("t", "d")) or stem.endswith(("chn", "gn", "dm")) else ""
    forms = {
        f"{stem}{joint}t",
        f"{stem}{joint}te",
        f"{stem}{joint}ten",
        f"{stem}en",
        f"{stem}e",
    }
    if not stem.endswith("ier"):
        forms.add(f"ge{stem}{joint}t")
    else:
        forms.add(f"{stem}t")
    return forms


_WEAK_STEMS = _set(
    "sag erklär beton mein warn forder kritisier frag antwort ergänz bericht erzähl mahn "
    "bekräftig versicher erläuter bestätig argumentier resümier urteil vermut befürcht hoff "
    "appellier verlang wiederhol entgegn erwider beklag klag twitter post erinner kommentier "
    "behaupt äußer zitier schilder bilanzier prophezei glaub verdeutlich "
    "präzisier dementier konstatier räsonier folger insistier protestier reagier formulier "
    "nenn lob dank bewert verteidig beteuer droh schimpf begründ rechtfertig"
)

#: Strong / irregular verbs, listed explicitly (present, past, plural past, participle).
_STRONG = _set(
    "schreibt schrieb schrieben geschrieben ruft rief riefen gerufen unterstreicht unterstrich "
    "unterstrichen widerspricht widersprach widersprachen widersprochen verspricht versprach "
    "versprachen bezeichnet bezeichnete bezeichneten "
    "empfiehlt empfahl empfahlen rät riet rieten beschreibt beschrieb beschrieben gesteht "
    "gestand gestanden nannte nannten genannt verkündet verkündete stellt "
    "stellte macht machte räumt räumte fügt fügte teilt teilte kündigt kündigte gibt gab "
    "gaben zieht zog hält hielt hielten vorgeworfen entgegnet"
)

#: Verbs whose particle or object is needed to make them speech verbs ("stellt klar",
#: "räumt ein"): only a cue when one of these words follows in the same clause.
PARTICLE_VERBS: dict[str, frozenset[str]] = {
    "stellt": frozenset({"klar", "fest"}),
    "stellte": frozenset({"klar", "fest"}),
    "macht": frozenset({"deutlich", "klar"}),
    "machte": frozenset({"deutlich", "klar"}),
    "räumt": frozenset({"ein"}),
    "räumte": frozenset({"ein"}),
    "fügt": frozenset({"hinzu", "an"}),
    "fügte": frozenset({"hinzu", "an"}),
    "teilt": frozenset({"mit"}),
    "teilte": frozenset({"mit"}),
    "kündigt": frozenset({"an"}),
    "kündigte": frozenset({"an"}),
    "gibt": frozenset({"zu", "an", "bekannt"}),
    "gab": frozenset({"zu", "an", "bekannt"}),
    "gaben": frozenset({"zu", "an", "bekannt"}),
    "zieht": frozenset({"bilanz", "fazit"}),
    "zog": frozenset({"bilanz", "fazit"}),
    "hält": frozenset({"fest", "dagegen"}),
    "hielt": frozenset({"fest", "dagegen"}),
    "hielten": frozenset({"fest", "dagegen"}),
    "wirft": frozenset({"vor"}),
    "warf": frozenset({"vor"}),
    "warfen": frozenset({"vor"}),
    "zählt": frozenset({"auf"}),
    "zählte": frozenset({"auf"}),
    "spricht": frozenset({"von"}),
    "sprach": frozenset({"von"}),
    "sprachen": frozenset({"von"}),
}

SPEECH_VERBS: frozenset[str] = frozenset(
    {form for stem in _WEAK_STEMS for form in _weak(stem)} | _STRONG
) - {
    "meine",
    "meinen",
    "sage",
    "frage",
    "fragen",
    "antworten",
    "klage",
    "klagen",
    "hoffe",
    "glaube",
    "erinnere",
    "poste",
    "posten",
    "berichte",
    "warne",
    "danke",
    "lobe",
    "drohe",
    "begründen",
}

#: Nouns after "nach"/"laut" that introduce a source: "nach Einschätzung des Verbands".
SOURCE_NOUNS = _set(
    "angaben einschätzung ansicht meinung auffassung worten aussage aussagen darstellung "
    "überzeugung informationen schätzung"
)

#: Particles that introduce a speaker without a verb: "laut X", ", so X", "X zufolge".
LAUT = "laut"
SO = "so"
ZUFOLGE = "zufolge"

DETERMINERS = _set(
    "der die das dem den des ein eine einer eines einem einen deren dessen sein seine "
    "seinem seinen seiner ihr ihre ihrem ihren ihrer unser unsere"
)
#: Articles that leave a role phrase in the nominative ("der frühere Oberst").
NOMINATIVE_DETERMINERS = frozenset({"der", "die", "das"})

PRONOUNS = frozenset({"er", "sie"})

#: Words that may stand between a speech verb and its subject ("sagt dann auch Müller").
ADVERBS = _set(
    "auch dann jedoch aber zudem weiter weiterhin noch etwa nun jetzt damals später dazu "
    "daher deshalb gestern heute ebenfalls außerdem allerdings bereits schon zuletzt erst "
    "kürzlich jüngst wiederum indes hingegen dagegen ausdrücklich offen deutlich klar "
    "gegenüber zuvor anschließend sinngemäß wörtlich"
)

#: Role nouns (and the endings of compounds) that stand in front of a name.
ROLE_WORDS: tuple[str, ...] = tuple(
    sorted(
        _set(
            """experte expertin wissenschaftler wissenschaftlerin minister ministerin präsident
            präsidentin chef chefin sprecher sprecherin vorsitzende vorsitzender direktor
            direktorin leiter leiterin analyst analystin forscher forscherin politiker
            politikerin kanzler kanzlerin bürgermeister bürgermeisterin abgeordnete abgeordneter
            sekretär sekretärin beauftragte beauftragter kommandeur general oberst professor
            professorin ökonom ökonomin historiker historikerin anwalt anwältin richter
            richterin botschafter botschafterin korrespondent korrespondentin reporter
            reporterin autor autorin trainer trainerin kandidat kandidatin vertreter
            vertreterin landrat landrätin kommissar kommissarin berater beraterin journalist
            journalistin aktivist aktivistin ermittler ermittlerin arzt ärztin mediziner
            medizinerin virologe virologin soziologe soziologin psychologe psychologin jurist
            juristin manager managerin unternehmer unternehmerin gründer gründerin
            geschäftsführer geschäftsführerin intendant intendantin papst bischof pfarrer
            pfarrerin kardinal könig königin prinz prinzessin sänger sängerin schauspieler
            schauspielerin spieler spielerin kapitän leutnant major hauptmann admiral offizier
            polizist polizistin zeuge zeugin anwohner anwohnerin bewohner bewohnerin kritiker
            kritikerin befürworter befürworterin gegner gegnerin staatsanwalt staatsanwältin
            premier premierministerin premierminister senator senatorin gouverneur
            gouverneurin machthaber machthaberin diktator herrscher staatschef staatschefin
            dozent dozentin moderator moderatorin redakteur redakteurin landwirt landwirtin
            lehrer lehrerin student studentin koordinator koordinatorin stadtrat stadträtin
            gewerkschafter gewerkschafterin funktionär funktionärin vize fachmann fachfrau
            referent referentin bundesrat verteidigungsminister innenminister
            wissenschaftsminister oppositionsführer oppositionsführerin abteilungsleiter
            pressesprecher pressesprecherin meteorologe meteorologin ökologe ökologin
            biologe biologin physiker physikerin ingenieur ingenieurin kommandant
            kommandantin betreiber betreiberin inhaber inhaberin besitzer besitzerin wirt
            wirtin vorstand vorständin obmann stellvertreter stellvertreterin organisator
            organisatorin veranstalter veranstalterin rektor rektorin dekan dekanin imam
            rabbiner brandrat volkswirt volkswirtin ologe ologin chefarzt chefärztin
            sprecherin winzer winzerin förster försterin hebamme pfleger
            pflegerin erzieher erzieherin kämmerer kämmerin schatzmeister schatzmeisterin
            ortsvorsteher ortsvorsteherin dezernent dezernentin"""
        ),
        key=len,
        reverse=True,
    )
)

#: Nouns that name an organisation speaking as a body ("die Polizei", "das Ministerium").
ORG_WORDS = _set(
    """polizei staatsanwaltschaft regierung bundesregierung staatsregierung landesregierung
    kreml feuerwehr verwaltung kommission partei fraktion konzern unternehmen firma verband
    gewerkschaft stadt gemeinde klinik klinikum krankenhaus universität hochschule nato uno
    eu bundeswehr armee militär geheimdienst pentagon rathaus opposition koalition
    weltgesundheitsorganisation bundesanstalt bahn"""
)
#: Endings of organisation compounds ("Innenministerium", "Landratsamt", "Landgericht").
ORG_SUFFIXES = (
    "zentrale",
    "fraktion",
    "partei",
    "verein",
    "bund",
    "gewerkschaft",
    "initiative",
    "bündnis",
    "stiftung",
    "kammer",
    "gremium",
    "komitee",
    "ausschuss",
    "warndienst",
    "rettungsdienst",
    "direktion",
    "feuerwehr",
    "konzern",
    "ministerium",
    "amt",
    "behörde",
    "gericht",
    "präsidium",
    "verband",
    "regierung",
    "kommission",
    "polizei",
    "verwaltung",
    "agentur",
    "institut",
    "senat",
    "rat",
)

#: Capitalised words that are never (part of) a person's name.
NON_NAMES = _set(
    """montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz april
    mai juni juli august september oktober november dezember wochenende abend morgen mittag
    anfang ende sie ich wir ihr es man journalisten journalistinnen reportern zuhörern
    publikum zeitung agentur interview gespräch sender fernsehen radio mitte beginn
    zudem aber auch dann doch nun und oder denn dass weil wenn als wie so
    in im am an auf aus bei beim mit nach von vom vor für über unter seit während wegen
    trotz zum zur gegen ohne um bis damit deshalb daher dabei dazu hier dort heute gestern
    jetzt danach zuvor später was wer wo warum das dies diese dieser diesem man
    angaben medienberichten berichten informationen studie umfrage schätzungen
    sein seine seiner seinem seinen ihre ihrer ihrem ihren unser unsere euer mein meine
    fazit ergebnis grund frage antwort problem ziel motto devise klar fest"""
)

#: Days and months: never a first name, but a surname may be one ("Stefan Sonntag").
CALENDAR = _set(
    """montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz april
    mai juni juli august september oktober november dezember"""
)

#: Nouns after a speech verb that are the addressee, not the speaker ("sagte der Zeitung").
ADDRESSEES = _set(
    """zeitung agentur nachrichtenagentur presse journalisten reportern zuhörern zeitungen
    sender fernsehsender radiosender redaktion öffentlichkeit medien"""
)

#: Endings of common nouns, so "sagte Merz Journalisten" does not make a name of the noun.
NOUN_SUFFIXES = (
    "ung",
    "ungen",
    "heit",
    "keit",
    "schaft",
    "tion",
    "ionen",
    "ität",
    "ismus",
    "nis",
    "isten",
    "tum",
    "chen",
)

#: Name particles allowed between name parts ("Ursula von der Leyen").
NAME_PARTICLES = frozenset({"von", "van", "der", "de", "zu", "di", "da", "al", "bin", "el"})

#: Words before a quoted span that make it a title, not a quotation ("die Sendung „…“").
TITLE_NOUNS = _set(
    """sendung buch film newsletter serie podcast titel roman magazin zeitung programm
    kampagne motto format show reihe album lied song stück initiative aktion projekt
    operation slogan schlagzeile überschrift ausstellung festival kolumne rubrik blog
    app spiel theaterstück oper aufschrift hashtag stichwort"""
)
#: Prepositions that, before a short capitalised quoted span, mark a title ("für „Possoch klärt“").
TITLE_PREPOSITIONS = _set("für in im bei beim von vom aus mit über unter namens")

#: Adverbs, conjunctions and particles that open sentences ("Außerdem betonte er: …"): capitalised
#: there, but never a name. A speaker is a person, a role, an organisation or nobody.
FUNCTION_WORDS = _set(
    """außerdem zudem gleichzeitig zugleich immer dann danach daraufhin anschließend später
    zuvor vorher bisher bislang erst schon bereits noch nun jetzt heute gestern damals
    inzwischen mittlerweile trotzdem dennoch dabei dazu damit darum deshalb deswegen daher
    somit also allerdings jedoch doch aber auch ebenfalls ebenso zwar stattdessen vielmehr eher
    besonders insbesondere gerade ausgerechnet natürlich tatsächlich wirklich offenbar
    offensichtlich anscheinend vermutlich wohl sicher sicherlich bestimmt freilich immerhin
    schließlich letztlich endlich zuletzt zunächst zuerst erstens zweitens drittens ferner
    weiterhin weiter überdies obendrein hingegen dagegen indes indessen wiederum umgekehrt
    ähnlich genauso selbst sogar nur bloß lediglich allein kaum fast beinahe ganz sehr
    ziemlich eigentlich grundsätzlich generell insgesamt überhaupt jedenfalls ohnehin sowieso
    hier dort da überall manchmal oft häufig selten nie niemals stets meist meistens kürzlich
    jüngst neulich bald sofort gleich demnach folglich nämlich sondern sowie obwohl falls
    sobald solange nachdem bevor seitdem wann weshalb wieso deutlich offen kritisch positiv
    negativ ebenso vorerst längst künftig zukünftig bereits derzeit aktuell momentan
    zumindest mindestens wenigstens vorsichtig optimistisch skeptisch knapp kurz ausführlich
    erneut wieder nochmals abschließend einleitend ergänzend zusammenfassend unterdessen
    währenddessen seither zwischenzeitlich hierzu hierbei hierfür darüber darauf daran
    davon dafür dagegen dahinter worauf wofür womit wobei sonst"""
)

#: Pronominal adverbs ("Darin heißt es:", "Dazu die Stadt:"): function words, never names.
FUNCTION_WORDS = FUNCTION_WORDS | frozenset(
    f"{head}{prep}"
    for head in ("da", "dar", "hier", "wo", "wor")
    for prep in _set(
        "an auf aus bei durch für gegen hinter in mit nach neben über um unter von vor zu zwischen"
    )
    if (head in {"dar", "wor"}) == (prep[0] in "aeiouäöü")
)

#: Prepositions: a person named right after one is not the subject of the clause ("An Anna
#: Weber appelliert er" - "er" is not Anna Weber).
PREPOSITIONS = _set(
    """an am auf aus bei beim mit nach von vom vor für über unter zwischen gegen ohne um bis
    durch zu zum zur seit wegen trotz während gegenüber neben hinter dank statt außer
    innerhalb außerhalb gemäß samt ab ans aufs ins im in"""
)

#: Finite verbs of indirect speech (Konjunktiv I, third person): a sentence with one and no
#: cue of its own reports what the current speaker said ("Das sei falsch, sagte sie. Man
#: habe zu spät reagiert.").
SUBJUNCTIVE = _set(
    """sei seien habe werde könne müsse dürfe wolle solle möge wisse gebe gehe komme stehe
    liege bleibe lasse halte sehe nehme trage finde brauche fehle zeige gelte handle
    arbeite lebe mache bringe denke glaube hoffe erwarte plane rechne setze sorge spiele
    treffe wachse wirke ziehe zähle bedeute bestehe entstehe erhalte verliere gewinne
    befinde verfüge benötige würden hätten wären"""
)

#: Nouns for people that are adjectives turned nouns: their gender is in the article or the
#: ending ("der Vorsitzende", "die Vorsitzende", "Vorsitzender"), not in the word.
ADJECTIVAL_PERSONS = (
    "vorsitzende",
    "abgeordnete",
    "beauftragte",
    "angestellte",
    "jährige",
    "betroffene",
    "angehörige",
    "delegierte",
    "gesandte",
    "jugendliche",
    "erwachsene",
    "verletzte",
    "bekannte",
    "verwandte",
    "geschädigte",
    "angeklagte",
    "verdächtige",
    "beschuldigte",
    "befragte",
    "erkrankte",
    "überlebende",
    "beteiligte",
)

#: Person nouns whose gender is in the word ("die Mutter … sagt sie").
FEMALE_PERSONS = _set("mutter tochter schwester frau oma großmutter tante nichte witwe ehefrau")
MALE_PERSONS = _set("vater sohn bruder mann opa großvater onkel neffe witwer ehemann")

#: Nouns of speech: "die Frage von Anna Weber, „…“", "Ihr Fazit: „…“".
SPEECH_NOUNS = _set(
    """kritik frage worte aussage antwort forderung warnung vorwurf appell satz zitat
    bemerkung einwand kommentar einschätzung fazit bilanz mahnung bitte botschaft urteil
    rat prognose ankündigung versprechen credo motto"""
)
