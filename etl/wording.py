"""Fixed wording of the charts and the report, in English and Welsh.

Question and option labels come from the survey's gettext catalog (etl.labels);
these are the outputs' own headings, kept here so both languages sit side by side.
"""
from __future__ import annotations

LANGUAGES = ("en", "cy")

WORDS = {
    "en": {
        "report_title": "Consultation responses: report for the review team",
        "all_respondents": "All respondents",
        "by_group": "By respondent group",
        "percent_axis": "Percent of those who answered",
        "base": "Base",
        "hidden_note": "{marker} = hidden (small number)",
        "contents": "Contents",
        "summary": "Responses",
        "who_responded": "Who responded",
        "questions": "Answers to each question",
        "themes": "Themes in the written answers",
        "duplicates": "Duplicates and campaigns",
        "method": "Method notes",
        "responses_received": "Responses received",
        "quarantined": "Less: set aside as unreadable",
        "excluded_at_intake": "Less: excluded on arrival (likely automated)",
        "duplicates_removed": "Less: duplicate copies removed",
        "responses_analysed": "Responses analysed",
        "campaign_responses": "Of these, part of a campaign (kept, flagged)",
        "dimension_respondent_group": "By respondent group",
        "dimension_local_authority": "By local authority",
        "dimension_language": "By response language",
        "dimension_channel": "By channel",
        "category": "Category",
        "respondents": "Respondents",
        "percent": "Percent",
        "option": "Answer",
        "count": "Count",
        "answered": "Answered",
        "ci": "95% confidence interval",
        "theme": "Theme",
        "answers": "Answers",
        "question": "Question",
        "examples": "Example quotes",
        "no_text": "No written answers.",
        "rule": "Rule",
        "groups": "Groups",
        "members": "Responses involved",
        "removed": "Removed",
        "campaign": "Campaign",
        "campaign_size": "Responses",
        "campaign_text": "Text",
        "campaigns_not_listed": "The {shown} largest campaigns are listed; {more} smaller ones are not. Every "
                                "campaign is in the workbook's free_text_campaigns sheet.",
        "untagged_note": "Untagged answers matched no theme in the codebook; they show what it misses.",
        "campaign_note": "A campaign (the same text sent by many people) counts once in the theme counts; "
                         "its size is shown here.",
        "chart_alt": "Bar chart of answers to",
        "generated_from": "Survey",
        "language_switch": "Cymraeg",
        "rules": {
            "exact_resubmission": "Exact resubmission: the same answers from the same device within an hour; "
                                  "later copies removed",
            "same_person_email": "Same person (same follow-up email); the most complete response kept",
            "same_person_fingerprint": "Same person (same device, 90%+ identical answers); the most complete kept",
            "same_person_email_and_fingerprint": "Same person (same email and device); the most complete kept",
            "campaign": "Campaign: five or more responses with near-identical text; all kept and flagged",
        },
        "method_notes": [
            "Responses the survey flagged as they arrived are excluded before anything is counted: a hidden "
            "field that people never see, but automated form-fillers complete, was filled in, or a page was "
            "sent back faster than a person could read it. They are counted in the table of responses, so that "
            "its figures add up, and listed with their reason in the analysis database (excluded_responses).",
            "Figures are over the deduplicated responses. Duplicates are found and explained, never dropped "
            "silently: exact resubmissions and the same person answering twice are removed (one response "
            "kept); organised campaigns are kept and flagged, as UK government consultation reports treat them.",
            "Percentages are of the respondents who were asked a question and answered it (the base). For "
            "questions where more than one answer could be chosen, percentages are of respondents, so they "
            "can add up to more than 100.",
            "Each percentage has a 95% confidence interval (Wilson score interval). This is an open "
            "consultation, not a random sample, so the interval describes the uncertainty from the number "
            "of responses only, not how far respondents represent the population.",
            "{rule} It applies to every table in this report, the duplicates included, except the response "
            "counts at the top: they count submissions handled, not people with any characteristic, and are "
            "shown in full so that they add up.",
            "Written answers are tagged with themes by matching English and Welsh keywords from a codebook "
            "(Welsh keywords in all their mutated forms). An answer can have several themes. A campaign's "
            "shared text counts once. Quotes have email addresses, phone numbers and full postcodes removed.",
        ],
        "rule_text": "Counts from 1 to {top} are shown as {marker}, and where one hidden cell could be "
                     "worked out from a total, a second cell is hidden too (also {marker}).",
    },
    "cy": {
        "report_title": "Ymatebion i'r ymgynghoriad: adroddiad i'r tîm adolygu",
        "all_respondents": "Pob ymatebydd",
        "by_group": "Yn ôl grŵp ymatebwyr",
        "percent_axis": "Canran y rhai a atebodd",
        "base": "Sylfaen",
        "hidden_note": "{marker} = wedi'i guddio (nifer fach)",
        "contents": "Cynnwys",
        "summary": "Ymatebion",
        "who_responded": "Pwy ymatebodd",
        "questions": "Atebion i bob cwestiwn",
        "themes": "Themâu yn yr atebion ysgrifenedig",
        "duplicates": "Dyblygiadau ac ymgyrchoedd",
        "method": "Nodiadau ar y dull",
        "responses_received": "Ymatebion a ddaeth i law",
        "quarantined": "Llai: wedi'u rhoi o'r neilltu am na ellid eu darllen",
        "excluded_at_intake": "Llai: wedi'u heithrio wrth gyrraedd (awtomataidd, yn ôl pob tebyg)",
        "duplicates_removed": "Llai: copïau dyblyg a dynnwyd",
        "responses_analysed": "Ymatebion a ddadansoddwyd",
        "campaign_responses": "O'r rhain, yn rhan o ymgyrch (wedi'u cadw a'u nodi)",
        "dimension_respondent_group": "Yn ôl grŵp ymatebwyr",
        "dimension_local_authority": "Yn ôl awdurdod lleol",
        "dimension_language": "Yn ôl iaith yr ymateb",
        "dimension_channel": "Yn ôl sianel",
        "category": "Categori",
        "respondents": "Ymatebwyr",
        "percent": "Canran",
        "option": "Ateb",
        "count": "Nifer",
        "answered": "Wedi ateb",
        "ci": "Cyfwng hyder 95%",
        "theme": "Thema",
        "answers": "Atebion",
        "question": "Cwestiwn",
        "examples": "Dyfyniadau enghreifftiol",
        "no_text": "Dim atebion ysgrifenedig.",
        "rule": "Rheol",
        "groups": "Grwpiau",
        "members": "Ymatebion dan sylw",
        "removed": "Wedi'u tynnu",
        "campaign": "Ymgyrch",
        "campaign_size": "Ymatebion",
        "campaign_text": "Testun",
        "campaigns_not_listed": "Rhestrir y {shown} ymgyrch fwyaf; ni restrir {more} o rai llai. Mae pob ymgyrch "
                                "yn nhaflen free_text_campaigns y llyfr gwaith.",
        "untagged_note": "Nid oedd atebion heb thema yn cyfateb i unrhyw thema yn y llyfr codau; maen nhw'n "
                         "dangos beth sydd ar goll ohono.",
        "campaign_note": "Mae ymgyrch (yr un testun wedi'i anfon gan lawer o bobl) yn cyfrif unwaith yn y "
                         "themâu; dangosir ei maint yma.",
        "chart_alt": "Siart bar o'r atebion i",
        "generated_from": "Arolwg",
        "language_switch": "English",
        "rules": {
            "exact_resubmission": "Ailgyflwyniad union: yr un atebion o'r un ddyfais o fewn awr; tynnwyd y "
                                  "copïau diweddarach",
            "same_person_email": "Yr un person (yr un e-bost dilynol); cadwyd yr ymateb mwyaf cyflawn",
            "same_person_fingerprint": "Yr un person (yr un ddyfais, 90%+ o atebion yn union yr un fath); "
                                       "cadwyd yr un mwyaf cyflawn",
            "same_person_email_and_fingerprint": "Yr un person (yr un e-bost a dyfais); cadwyd yr un mwyaf cyflawn",
            "campaign": "Ymgyrch: pump neu fwy o ymatebion gyda thestun bron yn union yr un fath; cadwyd a "
                        "nodwyd pob un",
        },
        "method_notes": [
            "Caiff ymatebion a nodwyd gan yr arolwg wrth iddyn nhw gyrraedd eu heithrio cyn cyfrif dim: roedd "
            "maes cudd nad yw pobl byth yn ei weld, ond y mae rhaglenni llenwi ffurflenni awtomataidd yn ei "
            "lenwi, wedi'i lenwi, neu anfonwyd tudalen yn ôl yn gynt nag y gallai person ei darllen. Maen nhw'n "
            "cael eu cyfrif yn y tabl ymatebion, er mwyn i'w ffigurau adio, ac wedi'u rhestru gyda'u rheswm yng "
            "nghronfa ddata'r dadansoddiad (excluded_responses).",
            "Mae'r ffigurau dros yr ymatebion ar ôl tynnu dyblygiadau. Caiff dyblygiadau eu canfod a'u "
            "hesbonio, byth eu gollwng yn dawel: caiff ailgyflwyniadau union a'r un person yn ateb ddwywaith "
            "eu tynnu (cedwir un ymateb); caiff ymgyrchoedd trefnus eu cadw a'u nodi, fel y mae adroddiadau "
            "ymgynghori llywodraeth y DU yn eu trin.",
            "Mae'r canrannau o'r ymatebwyr a gafodd y cwestiwn ac a'i hatebodd (y sylfaen). Lle gellid dewis "
            "mwy nag un ateb, mae'r canrannau o ymatebwyr, felly gallant adio i fwy na 100.",
            "Mae gan bob canran gyfwng hyder 95% (cyfwng sgôr Wilson). Ymgynghoriad agored yw hwn, nid sampl "
            "ar hap, felly mae'r cyfwng yn disgrifio'r ansicrwydd o nifer yr ymatebion yn unig.",
            "{rule} Mae'n berthnasol i bob tabl yn yr adroddiad hwn, gan gynnwys y dyblygiadau, ac eithrio "
            "niferoedd yr ymatebion ar y dechrau: maen nhw'n cyfrif y cyflwyniadau a gafodd eu trin, nid pobl ag "
            "unrhyw nodwedd, ac fe'u dangosir yn llawn er mwyn iddyn nhw adio.",
            "Caiff atebion ysgrifenedig eu tagio â themâu drwy gyfateb geiriau allweddol Saesneg a Chymraeg o "
            "lyfr codau (geiriau Cymraeg yn eu holl ffurfiau treigledig). Gall ateb fod â sawl thema. Mae "
            "testun ymgyrch yn cyfrif unwaith. Mae cyfeiriadau e-bost, rhifau ffôn a chodau post llawn wedi'u "
            "tynnu o'r dyfyniadau.",
        ],
        "rule_text": "Mae niferoedd o 1 i {top} yn cael eu dangos fel {marker}, a lle gellid cyfrifo un gell "
                     "gudd o gyfanswm, caiff ail gell ei chuddio hefyd (hefyd {marker}).",
    },
}


def words(language: str) -> dict[str, str]:
    return WORDS[language]
