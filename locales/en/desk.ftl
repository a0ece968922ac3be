## The desk's pages, its refusals and its email. Staff see these in their
## account's language (tipdesk user set-locale, or the switch on the desk);
## a desk's email in [desks.<key>] locale.

## Every desk page

desk-title = verification desk
desk-nav-tips = Tips
# On a staff error page: the link back to the person's start page.
desk-error-back = Back to the desk
desk-nav-audit = Audit trail
desk-nav-queue = Queue
desk-log-out = Log out
# $role: admin, editor, viewer or ops
desk-role = { $role ->
    [admin] admin
    [editor] editor
    [viewer] viewer
   *[ops] ops
}
desk-language = Language
desk-language-change = Change

## Signing in

entry-heading = Verification desk
login-title = Sign in
login-email = Email
login-password = Password
login-submit = Sign in
login-expired = This login form has expired. Please sign in again.
login-wrong = That email and password do not match an account.
# $seconds: how long to wait
login-throttled = Too many failed attempts. Please wait { $seconds } { $seconds ->
    [one] second
   *[other] seconds
} before trying again.
# $command: the command an admin runs
login-needs-totp = This account needs two-factor login, which is not set up yet. Ask an admin to run { $command }, then sign in again.
totp-title = Two-factor login
totp-label = Code from your authenticator app
totp-hint = The 6-digit code your app shows for tipdesk. Without your phone, enter one of your recovery codes instead; each works once.
totp-start-again = Start again
totp-expired = This sign-in has expired (the code page lasts five minutes). Please sign in again.
totp-reused = That code has been used already. Wait for your app to show a new one and enter that.
totp-wrong = That code is not right. Enter the current 6-digit code from your authenticator app, or an unused recovery code.

## A tip's status and kind, as the desk says them

status-new = New
status-in_review = In review
status-verified = Verified
status-not_verified = Not verified
status-actioned = Actioned
status-closed = Closed
status-spam = Spam
status-duplicate = Duplicate
status-unknown = Unknown
tip-generic = Tip

## The queue (/desk/tips)

queue-title = Tips
queue-all = All
filter-status = Status
filter-any = any
filter-desk = Desk
filter-kind = Kind
filter-assignee = Assignee
filter-anyone = anyone
filter-me = me
filter-nobody = nobody
filter-article = Article
filter-from = From
filter-to = To
filter-text = Text
filter-submit = Filter
queue-empty = No tips match.
column-reference = Reference
column-article = Article
column-desk = Desk
column-kind = Kind
column-status = Status
column-assignee = Assignee
column-received = Received (UTC)
queue-unread = Unread
queue-reader-replied = Reader replied
queue-older = Older tips →
filter-control-characters = Filters cannot contain control characters.
# $which: from or to; $example: a date as it must be written
filter-bad-date = The { $which ->
    [from] from
   *[to] to
} date must look like { $example }.
filter-bad-assignee = Unknown assignee filter.
filter-language = Language
filter-overdue = Overdue only
column-message = Message
queue-badge-contact = Contact left
queue-badge-overdue = Overdue
# The queue's badge for a tip that came with files. $n: how many
queue-badge-files = { $n ->
    [one] { $n } file
   *[other] { $n } files
}
# A tip's age in the queue. $unit: minutes, hours or days; $n: how many
queue-age = { $unit ->
    [minutes] { $n } min
    [hours] { $n } h
   *[days] { $n } d
}
# $value: what was typed
filter-bad-language = { $value } is not a language. Choose one from the list, or write its code, such as fa or ru.
filter-bad-overdue = The overdue filter is 1 (only overdue tips) or left out.

## Acting on many tips (the queue's bulk form, POST /desk/tips/bulk)

queue-select = Select
queue-select-all = Select all on this page
# The checkbox of a queue row that stands for a case ("+N similar"): an
# action on the selection applies to every tip of the case.
# $n: tips in the case, $reference: the tip the row shows
queue-select-case = Select all { $n } tips of this case ({ $reference })
bulk-legend = With the selected tips:
bulk-labels = Labels
bulk-apply-status = Set status
bulk-apply-assign = Assign
bulk-apply-labels = Add labels
bulk-mark-read = Mark read
bulk-title = Changes to the selected tips
# $count: how many tips were changed
bulk-done = { $count ->
    [0] No tip was changed.
    [one] One tip was changed.
   *[other] { $count } tips were changed.
}
bulk-refused-heading = Not changed
bulk-not-found = No such tip on your desks.
bulk-back = ← Back to the tips
bulk-none-selected = Select at least one tip first.
# $max: the most tips one action may change
bulk-too-many = At most { $max } tips can be changed at once. Select fewer.
# $value: what was sent as a tip's number
bulk-bad-id = { $value } is not a tip's number.
bulk-bad-action = Choose what to do with the selected tips.
bulk-no-labels = Write the labels to add, separated by commas.

## Keyboard shortcuts (queue and tip pages; "?" shows them)

shortcuts-title = Keyboard shortcuts
shortcuts-move = Next or previous tip in the list
shortcuts-open = Open the tip
shortcuts-select = Tick or untick the tip for the bulk form
shortcuts-status = Go to the status
shortcuts-assign = Go to the assignee
shortcuts-note = Write a note on the tip
shortcuts-help = Show or hide this list
shortcuts-close = Close

## A tip (/desk/tips/{id})

tip-back = ← All tips
fact-article = Article
fact-kind = Kind
fact-desk = Desk
fact-received = Received
fact-assignee = Assignee
fact-labels = Labels
fact-case = Case
fact-nobody = nobody
fact-none = none
tip-message = Message
tip-quote = Quoted passage
tip-reader = The reader
# $name: the reader's name, as they wrote it
tip-reader-name = Name: { $name }.
tip-reader-no-name = Name: not given.
tip-consented = Agreed to be contacted.
tip-not-consented = Did not ask to be contacted.
# $contact: the reader's contact, as they wrote it
tip-contact = Contact: { $contact }
# $kind: email, phone or handle
tip-contact-kind = ({ $kind ->
    [email] email
    [phone] phone
   *[handle] messenger handle
})
tip-show-contact = Show contact
tip-show-contact-recorded = Showing it is recorded in the audit trail.
tip-no-contact = No contact given.
tip-reader-left-no-contact = The reader left no contact.
tip-undecryptable = [cannot be decrypted with the configured keys]
tip-work = Work on it
tip-status = Status
tip-choose = choose…
tip-change-status = Change status
tip-assign-to = Assign to
tip-assign = Assign
tip-labels = Labels
tip-labels-hint = comma, separated
tip-save-labels = Save labels
tip-note = Internal note
tip-add-note = Add note
tip-conversation = Conversation with the reader
tip-conversation-about = The reader reads these messages with their receipt. They see "the desk", never your name, and never the internal notes.
tip-conversation-no-receipt = This tip was sent before readers were given receipts, so its reader cannot read messages.
tip-conversation-empty = No messages yet.
# $name: the staff member who wrote
tip-conversation-desk-wrote = { $name }, to the reader
tip-conversation-desk = The desk, to the reader
tip-conversation-reader = The reader
tip-to-reader = Message to the reader
tip-to-reader-hint = The reader will read this. Ask what you need to know; keep internal notes out of it.
tip-send-to-reader = Send to the reader
tip-published-url = Published correction's address (optional)
tip-published-url-hint = When a correction moves to actioned or closed: the reader's page links to it.
fact-published = Published correction
tip-history = History
tip-history-empty = Nothing yet.
history-someone = someone
# $from, $to: statuses
history-status = changed the status from { $from } to { $to }
# $to: a staff member's name
history-assigned = assigned it to { $to }
history-unassigned = unassigned it
# $labels: the labels, comma-separated
history-labels = set the labels to [{ $labels }]
history-noted = noted:
history-reader = the reader
history-reader-wrote = wrote to the desk
history-wrote-to-reader = wrote to the reader

## Refusals on the desk

# Between the items of a list ("new, in review").
list-separator = {", "}
desk-no-such-tip = There is no such tip, or it belongs to a desk you do not work for.
desk-read-only = Your account can read this desk's tips but not change them.
desk-assign-editors-only = Tips can be assigned only to editors of their desk.
# $from: the tip's status; $allowed: the statuses it may move to
desk-status-not-allowed = A tip that is { $from } can move to: { $allowed }.
# $status: what was sent
desk-status-unknown = `{ $status }` is not a tip status.
desk-note-empty = Write a note first.
desk-to-reader-empty = Write a message first.
desk-no-receipt = This tip has no receipt, so its reader cannot read messages.
desk-published-url-invalid = The published correction's address must be a full http:// or https:// URL.
desk-published-url-not-here = A published correction's address goes only with a correction that moves to actioned or closed.
# $label: the label as typed
desk-label-invalid = “{ $label }” is not a label: at most 40 characters on one line.
desk-labels-too-many = At most 20 labels per tip.
desk-cross-site = This request came from another site and was refused. Open tipdesk directly and try again.
desk-csrf = This form has expired or did not come from tipdesk. Reload the page and try again.
desk-audit-admins-only = The audit trail is for admins.
desk-language-unknown = The desk does not speak that language.
ops-only = The queue page is for ops and admins.
ops-job-actions = Jobs can be retried or discarded.
ops-job-not-dead = That job is not dead (any more), so there is nothing to do.
metrics-token = Send the metrics token as `Authorization: Bearer …`.
metrics-loopback = Metrics are served to loopback clients only; set ops.metrics_token to read them from elsewhere.

## The audit trail (/desk/audit)

audit-title = Audit trail
# $command: the command that checks the chain
audit-intro = Every entry is chained to the one before it; { $command } checks the chain.
audit-when = When (UTC)
audit-who = Who
audit-action = Action
audit-target = Target
audit-details = Details
audit-older = Older entries →

## The notification queue (/ops/queue)

ops-title = Notification queue
# $time: when the figures below were read, e.g. 14:05:09 UTC
ops-figures-at = Figures as of { $time }.
# A link that loads the page again with fresh figures.
ops-refresh = Refresh
ops-metadata-only = This page shows job metadata only, never a tip or a reader.
ops-oldest = Oldest waiting
ops-none-waiting = none waiting
# $seconds: the job's age
ops-seconds = { $seconds } s
ops-worker = Worker
# $seconds: since the worker last reported in
ops-worker-seen = { $seconds } s ago
ops-no-worker = no worker has reported in
ops-store = Attachment store
# $used, $budget: sizes such as 1.2 MB and 10.7 GB; $percent: of the budget used
ops-store-used = { $used } of { $budget } ({ $percent } %)
# $used: a size such as 1.2 MB
ops-store-unbudgeted = { $used } (no budget: attachments.max_store_bytes = 0)
ops-store-full = The budget is spent: new files get 503 until retention frees room or attachments.max_store_bytes is raised; tips without files still go through.
ops-surging = Articles in surge
ops-surging-intro = Their tips are accepted as usual; their desks get digests instead of one email per tip.
# $count: tips
ops-surging-count = { $count } { $count ->
    [one] tip
   *[other] tips
} in the last ten minutes
ops-feeds = Newsroom feeds
ops-feeds-intro = The feeds in articles.feeds, polled every articles.feed_poll_seconds by one instance at a time. A failing feed keeps its last success; the others go on.
ops-feed = Feed
ops-feed-success = Last success (UTC)
ops-feed-attempt = Last poll (UTC)
ops-feed-problem = Problem
ops-feed-never = never
ops-receipts = Wrong receipts at the follow-up
# $recent: in the last ten minutes; $day: in the last 24 hours
ops-receipts-counts = { $recent } in the last ten minutes, { $day } in the last 24 hours, from all clients together.
ops-receipts-surge = Far more wrong receipts than usual: someone may be guessing receipts. Each client is held to follow_up.failures_per_hour; look for a pattern in the metrics and in your proxy's logs.
ops-last-day = Last 24 hours
ops-chart = Emails sent and failed per hour over the last 24 hours
# $hour: e.g. 14:00; $count: emails
ops-chart-sent = { $hour }: { $count } sent
ops-chart-failed = { $hour }: { $count } failed
ops-key-sent = sent
ops-key-failed = failed attempts, per hour (UTC)
ops-problems = Dead and retrying jobs
ops-no-problems = None. Everything is getting through.
ops-job = Job
ops-tip = Tip
ops-desk = Desk
ops-to = To
ops-state = State
ops-attempts = Attempts
ops-next = Next attempt (UTC)
ops-reply = Last reply
ops-retry = Retry
ops-discard = Discard
# The heading of the column holding the Retry and Discard buttons.
ops-actions = Actions
ops-held = Held for a digest
ops-held-intro = Nothing failed: these notifications wait on purpose, to go out together as one digest email.
ops-held-jobs = Jobs
ops-held-until = Goes out (UTC)
ops-held-why = Why
ops-held-window = This address had an email less than notify.digest_window_seconds ago.
ops-held-surge = Their article is in surge (limits.article_surge_hold_seconds).

## The desk's email (the desk's [desks.<key>] locale)

# $kind: the kind of tip; $title: the article's title
email-tip-subject = New tip ({ $kind }): { $title }
email-tip-intro = A reader sent a tip about an article your desk owns.
email-article = Article
email-kind = Kind
email-received = Received
email-open = Read and triage it in the dashboard
email-excerpt = Excerpt (this desk opted in)
email-privacy = The tip's text and the reader's details are only in the dashboard: an inbox is not a safe place for a source's identity.
# $count: tips; $articles: how many articles they are about
email-digest-subject = { $count } new tips on { $articles } { $articles ->
    [one] article
   *[other] articles
}
email-digest-intro = { $count } new tips on { $articles } { $articles ->
    [one] article
   *[other] articles
} arrived for your desk in the last few minutes.
email-digest-why = To keep your inbox usable during a flood, they are collected here.
# $count: tips not listed
email-digest-more = … and { $count } more in the dashboard
email-digest-open = Open the dashboard to triage them:
email-digest-open-link = Open the dashboard
# A digest with readers' replies in it. $tips: new tips; $replies: readers
# who wrote back about a tip; $articles: how many articles
email-digest-subject-replies = { $tips } new { $tips ->
    [one] tip
   *[other] tips
} and { $replies } { $replies ->
    [one] reader reply
   *[other] reader replies
} on { $articles } { $articles ->
    [one] article
   *[other] articles
}
email-digest-intro-replies = { $tips } new { $tips ->
    [one] tip
   *[other] tips
} and { $replies } { $replies ->
    [one] reply from a reader
   *[other] replies from readers
} on { $articles } { $articles ->
    [one] article
   *[other] articles
} arrived for your desk in the last few minutes.
# After a link in a digest that is a reader's reply, not a new tip.
email-digest-reply-mark = the reader wrote back
email-digest-files-mark = { $count ->
    [one] 1 file
   *[other] { $count } files
}
# A reader wrote back about their tip (follow-up). $title: the article's title
email-reply-subject = A reader wrote back: { $title }
email-reply-intro = The reader who sent a tip about an article your desk owns has written back to the desk.
email-reply-attachments = { $count ->
    [one] One file came with this message; it is in the dashboard.
   *[other] { $count } files came with this message; they are in the dashboard.
}
email-reply-open = Read it and answer in the dashboard
email-reply-privacy = What the reader wrote is only in the dashboard: an inbox is not a safe place for a source's words.
# A reminder that tips wait unread past the desk's time to first look
# ([desks.<key>] first_look_hours); at most one a day per desk. $count: tips
# overdue; $desk: the desk's name
email-reminder-subject = { $count ->
    [one] One tip waits
   *[other] { $count } tips wait
} for a first look at { $desk }
# $count: tips overdue; $hours: the desk's time to first look; $unread: all
# unread tips of the desk, overdue or not
email-reminder-intro = { $count ->
    [one] One tip has
   *[other] { $count } tips have
} waited more than { $hours } { $hours ->
    [one] hour
   *[other] hours
} without anyone at the desk opening { $count ->
    [one] it
   *[other] them
}. { $unread ->
    [one] One tip is unread in all.
   *[other] { $unread } tips are unread in all.
}
email-reminder-oldest = The oldest, still unread:
# $age: how long ago the tip arrived (queue-age); $title: its article
email-reminder-tip = waiting { $age }: { $title }
# $count: overdue tips not listed
email-reminder-more = … and { $count } more
email-reminder-open = See every overdue tip in the dashboard:
email-reminder-open-link = See every overdue tip
email-reminder-privacy = This reminder names no tip's text and no reader: they are only in the dashboard. The desk gets at most one reminder a day.

## A tip's files
tip-attachments = Files from the reader
tip-attachments-about = Downloading a file is recorded in the audit trail. Open files from sources with care: on a machine kept for it, not the one you read email on.
tip-attachment-name = Name
tip-attachment-type = Type
tip-attachment-size = Size
tip-attachment-sha256 = SHA-256
tip-attachment-metadata = Metadata
tip-attachment-bytes = { $bytes } bytes
tip-attachment-meta-removed = Removed (location, camera, dates)
tip-attachment-meta-kept = Kept at the reader's request
tip-attachment-meta-as_sent = Stored as sent (documents keep their own)
tip-attachment-download = Download
tip-message-attachments = Files the reader sent with this message
email-attachments = { $count ->
    [one] One file came with this tip; it is in the dashboard.
   *[other] { $count } files came with this tip; they are in the dashboard.
}

## Export (GET /desk/tips/export.csv, export.json)
queue-export = Export what these filters select:
queue-export-csv = CSV (spreadsheet)
queue-export-json = JSON
export-no-tips = Your account does not read tips, so it cannot export them.
export-contact-admins-only = Only administrators may export readers' names and contacts.
export-bad-include-contact = include_contact takes 1 (include readers' names and contacts) or 0.

## Desk figures (GET /desk/stats)
desk-nav-stats = Figures
stats-title = Desk figures
stats-intro = Figures as of
stats-reload = Read them again
stats-no-desks = You work for no desk yet, so there is nothing to count.
stats-no-tips-to-count = Your account does not read tips, so it has no desk figures.
stats-total = Tips
stats-unread = Unread
stats-overdue = Overdue
# $hours: the desk's time to first look
stats-first-look-hours = { $hours ->
    [one] overdue when unread after one hour
   *[other] overdue when unread after { $hours } hours
}
stats-by-status = Tips by status
stats-first-look = Time to first look: from arrival until someone at the desk opened the tip. An overdue tip counts with its age so far; one not yet opened and not yet due is left out.
stats-window = Tips that arrived
stats-window-tips = Tips
stats-median = Median
stats-p90 = 90th percentile
stats-last-7 = in the last 7 days
stats-last-30 = in the last 30 days
stats-no-tips = none arrived
# $wait: a time such as "5 h"; an unopened tip may make it longer
stats-at-least = at least { $wait }
# $day: a date (YYYY-MM-DD)
stats-chart-day = { $day }: { $count ->
    [one] one tip
   *[other] { $count } tips
}
stats-chart = Tips per day at { $desk } over the last { $days } days (the tallest bar: { $max })
stats-first-look-short = Time to first look

## Cases: near-identical tips on one article, grouped as they arrive
# The queue's badge on a tip whose case has others, linking to the case.
# $n: how many other tips
queue-badge-similar = +{ $n } similar
# The case page's heading. $count: tips in the case
case-heading = { $count ->
    [one] A case of { $count } tip
   *[other] A case of { $count } tips
}
case-about = Tips on the same article in nearly the same words, oldest first. A status set here is set on each tip as if one by one, and recorded for each.
# $count: tips of the case past those the page shows
case-more = { $count ->
    [one] …and { $count } more tip, not shown here.
   *[other] …and { $count } more tips, not shown here.
}
case-status = Status for every tip
case-apply-status = Apply to the case
case-merge-with = Merge with the case of tip
case-merge = Merge
case-leave = Take out of the case
case-not-in-one = This tip is in no case.
case-merge-same = Both tips are already in this case.
case-merge-no-reference = Write the reference of a tip of the other case.
case-merge-unknown = No such tip on your desks.
case-merge-other-desk = That tip is another desk's: a case stays within one desk.
history-case-left = took it out of its case
history-case-merged = merged its case with another
