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
# $title: the page's own title. Before it when the form came back refused
# (WCAG 3.3.1: the error is in the title screen readers announce first).
error-title-prefix = Error: { $title }
# Heads the box at the top of a refused form that lists each problem.
error-summary-heading = There is a problem

## What a field's message says is wrong
## $field is the field's key: message, quote, name, contact, note (the
## desk's internal notes, which share the rules) or to_reader (the desk's
## messages to a reader).

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
    [to_reader] The message to the reader
   *[contact] Your contact
} is too long: { $count } characters, at most { $max }.
text-line-break = { $field ->
    [message] Your message
    [quote] The quoted passage
    [name] Your name
    [note] The note
    [to_reader] The message to the reader
   *[contact] Your contact
} contains a line break, which cannot be accepted here. Please remove it.
# $code: the character's code point, e.g. U+0007
text-control-character = { $field ->
    [message] Your message
    [quote] The quoted passage
    [name] Your name
    [note] The note
    [to_reader] The message to the reader
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
thanks-keep = Mention it if you write to the newsroom about this tip.
thanks-another = Send another tip about this article

## The receipt, on the thank-you page: shown once, never again

thanks-receipt-heading = Your receipt
# $link: a link to the follow-up page; its text is thanks-receipt-link
thanks-receipt-use = With this receipt you can { $link }: see what becomes of your tip and answer the desk's questions, without giving your name or any contact.
thanks-receipt-link = come back to your tip
thanks-receipt-once = Write it down or keep it somewhere private now: this is the only time it is shown. The newsroom does not know it and cannot send it to you again.
thanks-receipt-secret = Anyone who has it can read what the desk writes to you, so keep it to yourself. If you lose it, you can still send a new tip.

## Following up with the receipt (/follow-up)

follow-up-title = Follow up on your tip
follow-up-heading = Follow up on your tip
follow-up-intro = Enter the receipt you were shown when you sent your tip. You will see what has become of it, and you can write to the desk.
follow-up-receipt-label = Your receipt
# $digits: how many digits a receipt has
follow-up-receipt-hint = { $digits } digits. Spaces and dashes do not matter.
follow-up-open = Open
follow-up-lost = Lost your receipt? It was shown only to you, so the newsroom cannot look it up or send it again. You can always send a new tip.
follow-up-receipt-missing = Please enter your receipt.
follow-up-wrong = This receipt does not open a tip. Check each digit and try again. A tip the newsroom has since deleted cannot be opened either.
# $minutes: how long to wait
follow-up-throttled = Too many receipts that did not work were tried from your connection. Please try again in { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
}.

## A tip, as its reader follows it

follow-up-tip-title = Your tip
follow-up-tip-heading = Your tip
follow-up-reference = Reference
follow-up-article = Article
follow-up-sent-at = Sent
follow-up-status-label = Status
# $status: received, being_checked, answered, published or closed
follow-up-status = { $status ->
    [received] Received
    [being_checked] Being checked
    [answered] Answered
    [published] Published
   *[closed] Closed
}
follow-up-status-about = { $status ->
    [received] The desk has your tip and will look at it soon.
    [being_checked] The desk is checking what you told them.
    [answered] The desk has written to you: their message is below.
    [published] The desk acted on your tip and published the result.
   *[closed] The desk has finished with your tip. Thank you for sending it.
}
# Followed by the published correction's address.
follow-up-published = The published correction:
follow-up-conversation = Messages
follow-up-no-messages = No messages yet. If the desk has a question for you, it will appear here.
follow-up-from-desk = The desk
follow-up-from-you = You
follow-up-unreadable = [This message cannot be shown right now.]
follow-up-reply-label = Write to the desk
follow-up-reply-submit = Send to the desk
follow-up-reply-privacy = Only the desk reads this. Your name and contact are not needed; give them only if you want the desk to have them.
follow-up-sent = Your message has been sent to the desk.
# The files a reader sent with one of their messages, and what was done to each
follow-up-files = Files you sent with this message
follow-up-file-removed = location and camera details removed
follow-up-file-kept = location and camera details kept, as you chose
follow-up-file-as_sent = stored exactly as you sent it
follow-up-tip-files = Files you sent with your tip
follow-up-files-again = The files you chose were not sent: for your safety your browser does not keep them. Once your receipt is accepted, please choose them again.
# $kb: the file's size in kilobytes (1 kB = 1,000 bytes)
follow-up-file-size = { $kb } kB
follow-up-leave = Leave
follow-up-leave-about = Closes your tip on this screen. On a device others use, close this tab or window too: until it is closed, the browser's Back button can send your receipt again and reopen your tip. To come back, you will need your receipt.
follow-up-unsent-label = Your message (not sent yet)
follow-up-unsent-hint = We kept it here. Enter your receipt and open your tip: it will be waiting in the box, ready to send. Or copy it somewhere private.

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
    [410] No longer taking tips
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
error-article-retired = This article has been withdrawn by the newsroom, so it no longer takes tips. Tips already sent about it are kept and still read. If you know something new, write to us from another article or the newsroom's contact page.
error-internal = Something went wrong on our side. Nothing you did caused it; please try again in a moment.
error-busy = We are very busy right now. Please try again in a few seconds.
error-storage-unavailable = We could not store this just now because our storage is failing. Nothing was saved; please send it again in a minute.
error-form-too-large = What you sent is too large for this form. Please shorten your message and try again.
error-form-not-utf8 = The form data could not be read (it is not valid UTF-8 text). Please go back and send it again.
error-form-malformed = The form data could not be read (a field was sent twice or is malformed). Please go back and send it again.
error-form-duplicate = The form sent the field “{ $field }” more than once, so we cannot tell which one you meant. Please go back and send it again.
error-form-content-type = This form accepts only application/x-www-form-urlencoded submissions.
error-query-repeated = The address gives “{ $parameter }” more than once, so we cannot tell which one you meant. Remove one and load the page again.
error-query-unreadable = The address’s “{ $parameter }” is not a value this page takes. Remove it or correct it and load the page again.
error-body-timeout = What you sent did not arrive within { $seconds } seconds, so we stopped waiting. Nothing was saved; please send it again.

## The JSON API's messages (the `error` codes and field keys never change)

api-accepted = Thank you. The desk responsible for this article has your tip.
api-validation-failed = Some fields are not valid; `fields` says what to change.
api-bad-idempotency-key = The Idempotency-Key header must be sent once, as 1 to 255 visible ASCII characters (optionally in double quotes).
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
# $seconds: how long to wait
api-receipt-throttled = Too many receipts that did not work were tried from this client. Try again in { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}.
api-reply-accepted = Your message has been sent to the desk.

## The landing page (/)

landing-title = tipdesk — reader tips
landing-heading = Know more about a story?
landing-intro = tipdesk receives readers' tips and corrections and passes them to the desk responsible for the article.
# $command: the command that imports articles
landing-no-articles = No articles yet. Import some with { $command }.
landing-staff = For the newsroom
# $desk: the desk's address, shown as a link
landing-desk-at = The verification desk works at { $desk }.
# $command: the command, shown as code. Shown only before any account exists.
landing-first-account = It has no accounts yet. Create the first, an admin, in a terminal in tipdesk's folder: { $command }
landing-articles = Articles

## Articles sent by the newsroom's CMS (PUT /api/v1/articles/{id})

api-articles-unauthorized = Send one of the newsroom's article API tokens as Authorization: Bearer TOKEN (configured in articles.api_tokens).
api-article-not-an-object = Send a JSON object with the article's title, url, section and, optionally, language.
api-field-missing = This field is required.
article-id-invalid = An article ID is 1 to 128 letters, digits, “-”, “_” and “.”, and not only dots.
# $max: the longest title allowed
article-title-invalid = Give a title of 1 to { $max } characters on one line (no line breaks or control characters).
article-url-invalid = Give the article's address as an http:// or https:// URL with a host name.
# $host: the host the URL named
article-url-host = The article's address must be on one of the newsroom's hosts (articles.allowed_hosts); { $host } is not one of them.
# $max: the longest section name allowed
article-section-invalid = Give a section of 1 to { $max } characters on one line (no line breaks or control characters).
# $tag: the tag that was sent
article-language-invalid = { $tag } is not a language tag such as fa, ps or en-GB.

## Attachments (the form's `attachments` field)
form-attachments-label = Files that show it (optional)
# $limit in $unit (bytes, kb or mb): attachments::size_limit, also below.
form-attachments-hint = Up to { $files } files, { $unit ->
        [bytes] { $limit } bytes
        [kb] { $limit } KB
       *[mb] { $limit } MB
    } each: photos, PDFs, text, office documents, audio or video.
form-attachments-documents = Documents, audio and video can carry names and dates (who wrote or recorded them, and when). They are stored exactly as you send them.
form-attachments-heif = HEIC/HEIF photos (an iPhone's own format) lose their location and camera details too, without changing the picture. The rare one we cannot clean safely (a burst or a live sequence) is taken only with the box below unticked.
form-attachments-again = For your safety your browser does not keep the files you chose. Please choose them again before you send.
attachment-too-many = You can attach at most { $limit } files to one tip.
attachment-too-large = “{ $file }” is larger than { $unit ->
        [bytes] { $limit } bytes
        [kb] { $limit } KB
       *[mb] { $limit } MB
    }, the most one file may be.
attachment-total-too-large = With “{ $file }” your files come to more than { $unit ->
        [bytes] { $limit } bytes
        [kb] { $limit } KB
       *[mb] { $limit } MB
    }, the most one tip may carry.
attachment-empty = “{ $file }” is empty (0 bytes).
attachment-bad-name = The name of the file “{ $file }” cannot be used: it is too long, is a folder path, or has invisible control characters. Please rename the file and attach it again.
attachment-type-refused = “{ $file }” is not a kind of file we take. We take photos, PDFs, plain text and CSV, office documents, audio and video.
attachment-polyglot = “{ $file }” is two kinds of file at once, so we cannot take it safely. Please save it again as one kind (for example print it to PDF).
attachment-store-full = We cannot take files just now. Send your tip without them, or try again later.
multipart-malformed = The form arrived incomplete or damaged (at part { $part }). Nothing was saved; please send it again.
multipart-no-name = Part { $part } of the form has no name, so we cannot tell which field it is. Nothing was saved.
multipart-file-in-text-field = The field “{ $field }” arrived as a file; it must be text. Nothing was saved.
multipart-text-in-file-field = The field “attachments” must carry files, not text. Nothing was saved.
multipart-not-utf8 = The field “{ $field }” is not readable text (UTF-8). Nothing was saved.
multipart-text-too-large = The form's text is too long (at the field “{ $field }”). Nothing was saved.
api-attachments-in-json = Files cannot travel in JSON. Send the tip as multipart/form-data with each file as an “attachments” part.
form-attachments-strip = Remove location and camera details from photos (recommended)
attachment-damaged = “{ $file }” looks like a photo, but it is damaged (or its camera details are), so we cannot remove what it says about where and with what it was taken. Please send another copy, or untick “Remove location and camera details” to send it as it is.
attachment-metadata-not-removable = “{ $file }” is a HEIC/HEIF photo laid out in a way (a burst or a live sequence) from which we cannot safely remove what it says about where and with what it was taken, so we have not taken it. Send it as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible), or untick “Remove location and camera details” to send it as it is.
