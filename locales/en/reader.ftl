## Every reader page

site-footer = Your tip goes only to the newsroom's verification desk. We do not keep your IP address.
# The list of links to the same page in other languages.
other-languages = Other languages

## The form

# $title: the article's title
form-title = Tip: { $title }
form-heading = Know more about this story?
form-intro = If you have additional information or believe something is inaccurate, let us know.
form-kind-legend = What is it?
kind-new_information = New information
kind-correction = Correction
kind-other = Something else
form-message-label = What do you know?
form-required = (required)
form-quote-label = The passage you mean (optional, for corrections)
form-contact-legend = May we contact you? (optional)
form-name-label = Your name
form-contact-label = Email, phone or messenger handle
form-consent-label = The desk may contact me about this tip.
form-honeypot-label = Leave this field empty
form-submit = Send to the desk
form-privacy = Only the verification desk reads your tip. Your name and contact are shown to them only when they need to reach you.

## The form, shown again

form-refused-invalid = Some of what you entered needs another look. The fields below say what to change.
form-refused-honeypot = A field that should stay empty was filled in (browsers sometimes do this automatically). Your text is below; please send it again.
form-refused-storage = We could not store your tip just now because our storage is failing. Nothing was saved, and nothing you wrote is lost: it is all below. Please send it again in a minute.
form-refused-duplicate = The form arrived with the field “{ $field }” twice, so we could not tell which one you meant. What arrived first is below; please check it and send it again.
form-refused-token-missing = This form could not be verified — it may have been changed on the way. Your text is below; please send it again.
form-refused-too-fast = That was sent faster than a person can write, so we held it back. Please check your tip below and send it again.
form-refused-expired = This form was opened more than a day ago and has expired. Your text is below; please send it again.

## What a field's message says is wrong
## $field is the field's key: message, quote, name, contact, or note
## (the desk's internal notes, which share the rules).

message-missing = Please tell us what you know.
# $min: the fewest characters a message may have
message-too-short = Please write at least { $min } { $min ->
    [one] character
   *[other] characters
} so the desk can follow up.
# $count: characters written; $max: the most allowed
text-too-long = { $field ->
    [message] Your message
    [quote] The quoted passage
    [name] Your name
    [note] The note
   *[contact] Your contact
} is too long: { $count } characters, at most { $max }.
text-line-break = { $field ->
    [message] Your message
    [quote] The quoted passage
    [name] Your name
    [note] The note
   *[contact] Your contact
} contains a line break, which cannot be accepted here. Please remove it.
# $code: the character's code point, e.g. U+0007
text-control-character = { $field ->
    [message] Your message
    [quote] The quoted passage
    [name] Your name
    [note] The note
   *[contact] Your contact
} contains an invisible control character ({ $code }), which cannot be accepted here. Please remove it.
# $contact: what the reader typed; $problem: what is wrong with it
contact-invalid-email = “{ $contact }” is not a valid email address: { $problem ->
    [invisible] it contains an invisible character or a space
    [no-at] it has no @
    [empty-local] nothing comes before the @
    [bad-local] the part before the @ may not start or end with a dot, hold two dots in a row, or contain characters such as @ , ; < > ( ) [ ]
    [empty-domain] nothing comes after the @
    [domain-literal] the part after the @ must be a domain name
    [too-long] it is too long
   *[bad-domain] the part after the @ is not a valid domain name
}. Check it, or give a phone number or messenger handle instead.
consent-needed = Tick this box so we may contact you, or leave the contact field empty.
kind-unknown = Choose what kind of tip this is: new_information, correction or other.

## Thank you

# $title: the article's title
thanks-title = Thank you — { $title }
thanks-heading = Thank you
# $article: the article's title (a link)
thanks-received = The desk responsible for { $article } has your tip.
# $reference: the tip's reference
thanks-reference = Your reference: { $reference }
thanks-keep = Keep it if you want to follow up on this tip.
thanks-another = Send another tip about this article

## Too many tips at once (429)

slow-down-title = Please wait a moment
# $seconds: how long to wait
slow-down-body = Several tips were sent from your connection in a short time. Please wait { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}, then go back (your browser keeps what you wrote) and send it again.

## Error pages

# $status: the HTTP status code
error-title = { $status ->
    [400] The request could not be read
    [403] Not allowed
    [404] Page not found
    [405] Not allowed here
    [408] Too slow
    [413] Too large
    [415] Unsupported format
    [422] Please check what you entered
    [429] Too many requests
    [503] Busy right now
   *[other] Something went wrong
}
# $id: the request's id
error-request-id = If you contact us about this, mention request { $id }.
error-no-page = There is no page at this address. Check the link you followed.
error-no-article = We could not find this article. The link may be incomplete or the article may have been removed.
error-internal = Something went wrong on our side. Nothing you did caused it; please try again in a moment.
error-busy = We are very busy right now. Please try again in a few seconds.
error-storage-unavailable = We could not store this just now because our storage is failing. Nothing was saved; please send it again in a minute.
error-form-too-large = What you sent is too large for this form. Please shorten your message and try again.
error-form-not-utf8 = The form data could not be read (it is not valid UTF-8 text). Please go back and send it again.
error-form-malformed = The form data could not be read (a field was sent twice or is malformed). Please go back and send it again.
error-form-duplicate = The form sent the field “{ $field }” more than once, so we cannot tell which one you meant. Please go back and send it again.
error-form-content-type = This form accepts only application/x-www-form-urlencoded submissions.

## The JSON API's messages (the `error` codes and field keys never change)

api-accepted = Thank you. The desk responsible for this article has your tip.
api-validation-failed = Some fields are not valid; `fields` says what to change.
# $seconds: how long to wait
api-rate-limited = Too many tips from this client. Try again in { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}.
api-too-large = The request body is too large.
api-content-type = Send the tip as JSON with Content-Type: application/json.
# $detail: the JSON parser's own description, in English
api-bad-json = The body is not valid JSON: { $detail }
api-unreadable = The request body could not be read.
api-not-an-object = Send a JSON object with the tip's fields.
# $field: the field's key
api-not-a-string = `{ $field }` must be a string.
api-consent-not-boolean = `consent` must be true or false.

## The landing page (/)

landing-title = tipdesk — reader tips
landing-heading = Know more about a story?
landing-intro = tipdesk receives readers' tips and corrections and passes them to the desk responsible for the article.
# $command: the command that imports articles
landing-no-articles = No articles yet. Import some with { $command }.
landing-articles = Articles
