# tipdesk's messages in English, the source language: every other
# language has exactly these message ids, with the same variables
# (tests/i18n.rs checks it).
#
# Glossary — the same word every time:
#   tip               what a reader sends (never "report", "submission")
#   desk              the newsroom team that receives tips; in full,
#                     "verification desk"
#   reference         the code a reader keeps, TD-XXXX-XXXX-XXXX
#   article           the published story a tip is about
#   correction        a tip saying the article is wrong
#   new information   a tip adding to the article
#   quoted passage    the words of the article a correction is about
#   contact           an email address, phone number or messenger handle
#   receipt           the secret digits a reader keeps to come back to
#                     their tip (/follow-up); never "code" or "password"
#   message           one turn of the conversation between the desk and
#                     a reader, or the text of a tip
#
# Files: main.ftl (this: the language's name), reader.ftl (everything a
# reader sees: pages, validation messages, the JSON API's messages),
# desk.ftl (the desk's pages and its email; a language without it is not
# offered on the desk).

# The language's name, in itself: shown in the list of languages.
language-name = English
