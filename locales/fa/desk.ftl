## صفحه‌های میز، پیام‌های رد و ایمیل آن. کارکنان این‌ها را به زبان حساب
## خود می‌بینند؛ ایمیل هر میز به زبان [desks.<key>] locale.

## همه صفحه‌های میز

desk-title = میز راستی‌آزمایی
desk-nav-tips = گزارش‌ها
desk-error-back = بازگشت به میز
desk-nav-audit = دفتر ممیزی
desk-nav-queue = صف اعلان‌ها
desk-log-out = خروج
desk-role = { $role ->
    [admin] مدیر
    [editor] ویراستار
    [viewer] بیننده
   *[ops] عملیات
}
desk-language = زبان
desk-language-change = تغییر

## ورود

entry-heading = میز راستی‌آزمایی
login-title = ورود
login-email = ایمیل
login-password = گذرواژه
login-submit = ورود
login-expired = این فرم ورود منقضی شده است. لطفاً دوباره وارد شوید.
login-wrong = این ایمیل و گذرواژه با هیچ حسابی جور نیست.
login-throttled = تلاش‌های ناموفق بیش از حد بوده است. لطفاً پیش از تلاش دوباره { $seconds } ثانیه صبر کنید.
login-needs-totp = این حساب به ورود دومرحله‌ای نیاز دارد که هنوز راه‌اندازی نشده است. از یک مدیر بخواهید { $command } را اجرا کند، سپس دوباره وارد شوید.
totp-title = ورود دومرحله‌ای
totp-label = کد برنامه احراز هویت شما
totp-hint = کد ۶ رقمی‌ای که برنامه‌تان برای tipdesk نشان می‌دهد. اگر تلفنتان همراهتان نیست، یکی از کدهای بازیابی را وارد کنید؛ هر کدام فقط یک بار کار می‌کند.
totp-start-again = شروع دوباره
totp-expired = این ورود منقضی شده است (صفحه کد فقط پنج دقیقه اعتبار دارد). لطفاً دوباره وارد شوید.
totp-reused = این کد پیش‌تر استفاده شده است. صبر کنید تا برنامه‌تان کد تازه‌ای نشان دهد و آن را وارد کنید.
totp-wrong = این کد درست نیست. کد ۶ رقمی کنونی برنامه احراز هویت یا یک کد بازیابی استفاده‌نشده را وارد کنید.

## وضعیت و نوع گزارش، آن‌طور که میز می‌گوید

status-new = تازه
status-in_review = در حال بررسی
status-verified = تأییدشده
status-not_verified = تأییدنشده
status-actioned = اقدام‌شده
status-closed = بسته
status-spam = هرزنامه
status-duplicate = تکراری
status-unknown = نامشخص
tip-generic = گزارش

## فهرست گزارش‌ها (/desk/tips)

queue-title = گزارش‌ها
queue-all = همه
filter-status = وضعیت
filter-any = هر کدام
filter-desk = میز
filter-kind = نوع
filter-assignee = مسئول
filter-anyone = هر کس
filter-me = خودم
filter-nobody = هیچ‌کس
filter-article = مطلب
filter-from = از
filter-to = تا
filter-text = متن
filter-submit = پالایش
queue-empty = گزارشی با این شرایط نیست.
column-reference = کد پیگیری
column-article = مطلب
column-desk = میز
column-kind = نوع
column-status = وضعیت
column-assignee = مسئول
column-received = دریافت (UTC)
queue-unread = خوانده‌نشده
queue-reader-replied = پاسخ خواننده
queue-older = گزارش‌های قدیمی‌تر ←
filter-control-characters = پالایه‌ها نمی‌توانند کاراکتر کنترلی داشته باشند.
filter-bad-date = تاریخ { $which ->
    [from] «از»
   *[to] «تا»
} باید به شکل { $example } باشد.
filter-bad-assignee = پالایه مسئول نامعتبر است.
filter-language = زبان
filter-overdue = فقط دیرکرده‌ها
column-message = پیام
queue-badge-contact = راه تماس دارد
queue-badge-overdue = دیرکرده
queue-badge-files = { $n } فایل
queue-age = { $unit ->
    [minutes] { $n } دقیقه
    [hours] { $n } ساعت
   *[days] { $n } روز
}
filter-bad-language = { $value } زبان نیست. یکی را از فهرست برگزینید یا کد آن را بنویسید، مانند fa یا ru.
filter-bad-overdue = پالایه دیرکرد یا ۱ است (فقط گزارش‌های دیرکرده) یا خالی.

## کار روی چند گزارش (فرم گروهی صف، POST /desk/tips/bulk)

queue-select = انتخاب
queue-select-all = انتخاب همهٔ این صفحه
queue-select-case = انتخاب همهٔ { $n } گزارش این پرونده ({ $reference })
bulk-legend = با گزارش‌های انتخاب‌شده:
bulk-labels = برچسب‌ها
bulk-apply-status = تعیین وضعیت
bulk-apply-assign = سپردن
bulk-apply-labels = افزودن برچسب
bulk-mark-read = خوانده‌شده
bulk-title = تغییر گزارش‌های انتخاب‌شده
bulk-done = { $count ->
    [0] هیچ گزارشی تغییر نکرد.
   *[other] { $count } گزارش تغییر کرد.
}
bulk-refused-heading = تغییر نکرد
bulk-not-found = چنین گزارشی در میزهای شما نیست.
bulk-back = → بازگشت به گزارش‌ها
bulk-none-selected = نخست دست‌کم یک گزارش را انتخاب کنید.
bulk-too-many = هر بار حداکثر { $max } گزارش را می‌توان تغییر داد. کمتر انتخاب کنید.
bulk-bad-id = { $value } شمارهٔ گزارش نیست.
bulk-bad-action = انتخاب کنید با گزارش‌های انتخاب‌شده چه شود.
bulk-no-labels = برچسب‌هایی را که باید افزوده شوند بنویسید، جداشده با ویرگول.

## میان‌برهای صفحه‌کلید (صف و صفحهٔ گزارش؛ «?» آن‌ها را نشان می‌دهد)

shortcuts-title = میان‌برهای صفحه‌کلید
shortcuts-move = گزارش بعدی یا قبلی در فهرست
shortcuts-open = باز کردن گزارش
shortcuts-select = انتخاب یا لغو انتخاب گزارش برای فرم گروهی
shortcuts-status = رفتن به وضعیت
shortcuts-assign = رفتن به مسئول
shortcuts-note = نوشتن یادداشت برای گزارش
shortcuts-help = نشان دادن یا پنهان کردن این فهرست
shortcuts-close = بستن

## یک گزارش (/desk/tips/{id})

tip-back = → همه گزارش‌ها
fact-article = مطلب
fact-kind = نوع
fact-desk = میز
fact-received = دریافت
fact-assignee = مسئول
fact-labels = برچسب‌ها
fact-case = پرونده
fact-nobody = هیچ‌کس
fact-none = هیچ
tip-message = پیام
tip-quote = بخش نقل‌شده
tip-reader = خواننده
tip-reader-name = نام: { $name }.
tip-reader-no-name = نام: داده نشده.
tip-consented = با تماس موافقت کرده است.
tip-not-consented = نخواسته است با او تماس گرفته شود.
tip-contact = راه تماس: { $contact }
tip-contact-kind = ({ $kind ->
    [email] ایمیل
    [phone] تلفن
   *[handle] نام کاربری پیام‌رسان
})
tip-show-contact = نمایش راه تماس
tip-show-contact-recorded = نمایش آن در دفتر ممیزی ثبت می‌شود.
tip-no-contact = راه تماسی داده نشده است.
tip-reader-left-no-contact = خواننده راه تماسی نگذاشته است.
tip-undecryptable = [با کلیدهای تنظیم‌شده رمزگشایی نمی‌شود]
tip-work = رسیدگی
tip-status = وضعیت
tip-choose = انتخاب کنید…
tip-change-status = تغییر وضعیت
tip-assign-to = سپردن به
tip-assign = بسپار
tip-labels = برچسب‌ها
tip-labels-hint = با ویرگول جدا کنید
tip-save-labels = ذخیره برچسب‌ها
tip-note = یادداشت داخلی
tip-add-note = افزودن یادداشت
tip-conversation = گفت‌وگو با خواننده
tip-conversation-about = خواننده این پیام‌ها را با رسیدش می‌خواند. او فقط «میز راستی‌آزمایی» را می‌بیند، نه نام شما را، و یادداشت‌های داخلی را هرگز نمی‌بیند.
tip-conversation-no-receipt = این گزارش پیش از آن فرستاده شده که به خوانندگان رسید داده شود، پس خواننده‌اش نمی‌تواند پیامی بخواند.
tip-conversation-empty = هنوز پیامی نیست.
tip-conversation-desk-wrote = { $name }، به خواننده
tip-conversation-desk = میز، به خواننده
tip-conversation-reader = خواننده
tip-to-reader = پیام به خواننده
tip-to-reader-hint = خواننده این را می‌خواند. آنچه را باید بدانید بپرسید؛ یادداشت‌های داخلی را این‌جا ننویسید.
tip-send-to-reader = فرستادن به خواننده
tip-published-url = نشانی اصلاحیه منتشرشده (اختیاری)
tip-published-url-hint = وقتی اصلاحیه‌ای اقدام‌شده یا بسته می‌شود: صفحه خواننده به آن پیوند می‌دهد.
fact-published = اصلاحیه منتشرشده
tip-history = پیشینه
tip-history-empty = هنوز چیزی نیست.
history-someone = کسی
history-status = وضعیت را از { $from } به { $to } تغییر داد
history-assigned = آن را به { $to } سپرد
history-unassigned = مسئول آن را برداشت
history-labels = برچسب‌ها را [{ $labels }] گذاشت
history-noted = یادداشت گذاشت:
history-reader = خواننده
history-reader-wrote = برای میز نوشت
history-wrote-to-reader = برای خواننده نوشت

## پیام‌های رد در میز

list-separator = {"، "}
desk-no-such-tip = چنین گزارشی نیست، یا به میزی تعلق دارد که شما در آن کار نمی‌کنید.
desk-read-only = حساب شما می‌تواند گزارش‌های این میز را بخواند، اما نمی‌تواند آن‌ها را تغییر دهد.
desk-assign-editors-only = گزارش‌ها را فقط می‌توان به ویراستاران میز خودشان سپرد.
desk-status-not-allowed = گزارشی با وضعیت «{ $from }» فقط می‌تواند به این وضعیت‌ها برود: { $allowed }.
desk-status-unknown = `{ $status }` وضعیت گزارش نیست.
desk-note-empty = اول یادداشت را بنویسید.
desk-to-reader-empty = اول پیامی بنویسید.
desk-no-receipt = این گزارش رسید ندارد، پس خواننده‌اش نمی‌تواند پیامی بخواند.
desk-published-url-invalid = نشانی اصلاحیه منتشرشده باید یک نشانی کامل http:// یا https:// باشد.
desk-published-url-not-here = نشانی اصلاحیه منتشرشده فقط همراه اصلاحیه‌ای می‌آید که اقدام‌شده یا بسته می‌شود.
desk-label-invalid = «{ $label }» برچسب نیست: حداکثر ۴۰ حرف در یک خط.
desk-labels-too-many = هر گزارش حداکثر ۲۰ برچسب می‌تواند داشته باشد.
desk-cross-site = این درخواست از سایت دیگری آمده بود و رد شد. tipdesk را مستقیم باز کنید و دوباره امتحان کنید.
desk-csrf = این فرم منقضی شده یا از tipdesk نیامده است. صفحه را دوباره بارگذاری کنید و دوباره امتحان کنید.
desk-audit-admins-only = دفتر ممیزی فقط برای مدیران است.
desk-language-unknown = میز به این زبان در دسترس نیست.
ops-only = صفحه صف فقط برای عملیات و مدیران است.
ops-job-actions = کارها را فقط می‌توان دوباره فرستاد یا کنار گذاشت.
ops-job-not-dead = این کار (دیگر) از کار افتاده نیست، پس کاری برای انجام نیست.
metrics-token = توکن سنجه‌ها را به صورت `Authorization: Bearer …` بفرستید.
metrics-loopback = سنجه‌ها فقط به کلاینت‌های loopback داده می‌شوند؛ برای خواندن از جای دیگر ops.metrics_token را تنظیم کنید.

## دفتر ممیزی (/desk/audit)

audit-title = دفتر ممیزی
audit-intro = هر ثبت به ثبت پیش از خود زنجیر شده است؛ { $command } این زنجیره را بررسی می‌کند.
audit-when = زمان (UTC)
audit-who = چه کسی
audit-action = کار
audit-target = هدف
audit-details = جزئیات
audit-older = ثبت‌های قدیمی‌تر ←

## صف اعلان‌ها (/ops/queue)

ops-title = صف اعلان‌ها
ops-figures-at = آمار تا ساعت { $time }.
ops-refresh = تازه کردن
ops-metadata-only = این صفحه فقط اطلاعات کلی کارها را نشان می‌دهد، نه هیچ گزارش یا خواننده‌ای.
ops-oldest = قدیمی‌ترین در انتظار
ops-none-waiting = هیچ کاری در انتظار نیست
ops-seconds = { $seconds } ثانیه
ops-worker = کارگزار
ops-worker-seen = { $seconds } ثانیه پیش
ops-no-worker = هیچ کارگزاری گزارش حضور نداده است
ops-store = فضای پیوست‌ها
# $used, $budget: sizes such as 1.2 MB and 10.7 GB; $percent: of the budget used
ops-store-used = { $used } از { $budget } ({ $percent }٪)
# $used: a size such as 1.2 MB
ops-store-unbudgeted = { $used } (بدون سقف: attachments.max_store_bytes = 0)
ops-store-full = سقف پر شده است: تا وقتی نگهداری (retention) جا باز کند یا attachments.max_store_bytes بالا برود، فایل‌های تازه پاسخ 503 می‌گیرند؛ گزارش‌های بدون فایل همچنان پذیرفته می‌شوند.
ops-surging = مطلب‌های پرهجوم
ops-surging-intro = گزارش‌هایشان مثل همیشه پذیرفته می‌شود؛ میزهایشان به‌جای یک ایمیل برای هر گزارش، خلاصه دریافت می‌کنند.
ops-surging-count = { $count } گزارش در ده دقیقه گذشته
ops-feeds = خوراک‌های تحریریه
ops-feeds-intro = خوراک‌های articles.feeds که هر articles.feed_poll_seconds یک بار، هر بار فقط به دست یک نمونه، خوانده می‌شوند. خوراکی که خطا می‌دهد آخرین موفقیتش را نگه می‌دارد؛ بقیه ادامه می‌دهند.
ops-feed = خوراک
ops-feed-success = آخرین موفقیت (UTC)
ops-feed-attempt = آخرین خواندن (UTC)
ops-feed-problem = مشکل
ops-feed-never = هرگز
ops-receipts = رسیدهای نادرست در صفحه پیگیری
ops-receipts-counts = { $recent } در ده دقیقه گذشته، { $day } در ۲۴ ساعت گذشته، از همه کلاینت‌ها روی هم.
ops-receipts-surge = رسیدهای نادرست بسیار بیشتر از معمول است: شاید کسی در حال حدس زدن رسیدهاست. هر کلاینت به follow_up.failures_per_hour محدود است؛ در معیارها و لاگ‌های پراکسی دنبال الگو بگردید.
ops-last-day = ۲۴ ساعت گذشته
ops-chart = ایمیل‌های فرستاده‌شده و ناموفق در هر ساعت در ۲۴ ساعت گذشته
ops-chart-sent = { $hour }: { $count } فرستاده‌شده
ops-chart-failed = { $hour }: { $count } ناموفق
ops-key-sent = فرستاده‌شده
ops-key-failed = تلاش‌های ناموفق، در هر ساعت (UTC)
ops-problems = کارهای از کار افتاده و در حال تلاش دوباره
ops-no-problems = هیچ. همه چیز می‌رسد.
ops-job = کار
ops-tip = گزارش
ops-desk = میز
ops-to = گیرنده
ops-state = وضعیت
ops-attempts = تلاش‌ها
ops-next = تلاش بعدی (UTC)
ops-reply = آخرین پاسخ
ops-retry = فرستادن دوباره
ops-discard = کنار گذاشتن
ops-actions = اقدام‌ها
ops-held = نگه‌داشته برای ایمیل یک‌جا
ops-held-intro = چیزی ناموفق نبوده است: این اعلان‌ها عمداً منتظرند تا با هم در یک ایمیل یک‌جا فرستاده شوند.
ops-held-jobs = کارها
ops-held-until = زمان فرستادن (UTC)
ops-held-why = چرا
ops-held-window = این نشانی کمتر از notify.digest_window_seconds پیش ایمیلی گرفته است.
ops-held-surge = مطلب آن‌ها در وضعیت هجوم است (limits.article_surge_hold_seconds).

## ایمیل میز

email-tip-subject = گزارش تازه ({ $kind }): { $title }
email-tip-intro = یک خواننده درباره مطلبی که به میز شما مربوط است گزارشی فرستاده است.
email-article = مطلب
email-kind = نوع
email-received = دریافت
email-open = خواندن و رسیدگی در داشبورد
email-excerpt = گزیده (این میز آن را خواسته است)
email-privacy = متن گزارش و مشخصات خواننده فقط در داشبورد است: صندوق ایمیل جای امنی برای هویت یک منبع نیست.
email-digest-subject = { $count } گزارش تازه درباره { $articles } مطلب
email-digest-intro = { $count } گزارش تازه درباره { $articles } مطلب در چند دقیقه گذشته برای میز شما رسیده است.
email-digest-why = برای این‌که صندوق ایمیلتان هنگام هجوم گزارش‌ها قابل استفاده بماند، آن‌ها این‌جا یک‌جا آمده‌اند.
email-digest-more = … و { $count } گزارش دیگر در داشبورد
email-digest-open = برای رسیدگی، داشبورد را باز کنید:
email-digest-open-link = باز کردن داشبورد
email-digest-subject-replies = { $tips } گزارش تازه و { $replies } پاسخ خواننده درباره { $articles } مطلب
email-digest-intro-replies = { $tips } گزارش تازه و { $replies } پاسخ از خوانندگان درباره { $articles } مطلب در چند دقیقه گذشته برای میز شما رسیده است.
email-digest-reply-mark = خواننده پاسخ داده است
email-digest-files-mark = { $count } فایل
email-reply-subject = خواننده پاسخ داد: { $title }
email-reply-intro = خواننده‌ای که درباره مطلبی مربوط به میز شما گزارش فرستاده بود، برای میز پیام تازه‌ای نوشته است.
email-reply-attachments = { $count ->
    [one] یک فایل همراه این پیام آمد؛ در داشبورد است.
   *[other] { $count } فایل همراه این پیام آمد؛ در داشبورد هستند.
}
email-reply-open = خواندن و پاسخ دادن در داشبورد
email-reply-privacy = نوشته خواننده فقط در داشبورد است: صندوق ایمیل جای امنی برای سخنان یک منبع نیست.
email-reminder-subject = { $count } گزارش در { $desk } در انتظار نخستین نگاه است
email-reminder-intro = { $count } گزارش بیش از { $hours } ساعت منتظر مانده و هنوز کسی در میز آن را باز نکرده است. روی هم { $unread } گزارش خوانده نشده است.
email-reminder-oldest = قدیمی‌ترین‌ها، هنوز خوانده نشده:
email-reminder-tip = { $age } در انتظار: { $title }
email-reminder-more = … و { $count } گزارش دیگر
email-reminder-open = همهٔ گزارش‌های عقب‌افتاده در داشبورد:
email-reminder-open-link = دیدن همهٔ گزارش‌های عقب‌افتاده
email-reminder-privacy = این یادآوری متن هیچ گزارش و نام هیچ خواننده‌ای را در بر ندارد: آن‌ها فقط در داشبورد هستند. هر میز در روز حداکثر یک یادآوری می‌گیرد.

## A tip's files
tip-attachments = فایل‌های خواننده
tip-attachments-about = بارگیری هر فایل در پیشینهٔ ممیزی ثبت می‌شود. فایل‌های منبع‌ها را با احتیاط باز کنید: روی دستگاهی که برای این کار کنار گذاشته‌اید، نه دستگاهی که با آن ایمیل می‌خوانید.
tip-attachment-name = نام
tip-attachment-type = نوع
tip-attachment-size = اندازه
tip-attachment-sha256 = SHA-256
tip-attachment-metadata = فراداده
tip-attachment-bytes = { $bytes } بایت
tip-attachment-meta-removed = پاک شد (مکان، دوربین، تاریخ‌ها)
tip-attachment-meta-kept = به درخواست خواننده نگه داشته شد
tip-attachment-meta-as_sent = همان‌طور که فرستاده شد (اسناد فرادادهٔ خود را دارند)
tip-attachment-download = بارگیری
tip-message-attachments = فایل‌هایی که خواننده با این پیام فرستاد
email-attachments = { $count ->
    [one] یک فایل همراه این گزارش آمد؛ در داشبورد است.
   *[other] { $count } فایل همراه این گزارش آمد؛ در داشبورد هستند.
}

## Export (GET /desk/tips/export.csv, export.json)
queue-export = خروجی گرفتن از آنچه این پالایه‌ها برمی‌گزینند:
queue-export-csv = CSV (صفحه‌گسترده)
queue-export-json = JSON
export-no-tips = حساب شما گزارش‌ها را نمی‌خواند، پس نمی‌تواند از آن‌ها خروجی بگیرد.
export-contact-admins-only = فقط مدیران می‌توانند نام و راه تماس خوانندگان را در خروجی بگیرند.
export-bad-include-contact = include_contact مقدار 1 (با نام و راه تماس خوانندگان) یا 0 می‌پذیرد.

## Desk figures (GET /desk/stats)
desk-nav-stats = آمار
stats-title = آمار میزها
stats-intro = آمار در
stats-reload = دوباره بخوانید
stats-no-desks = هنوز برای هیچ میزی کار نمی‌کنید، پس چیزی برای شمردن نیست.
stats-no-tips-to-count = حساب شما گزارش‌ها را نمی‌خواند، پس آماری از میزها ندارد.
stats-total = گزارش‌ها
stats-unread = خوانده‌نشده
stats-overdue = دیرکرده
# $hours: the desk's time to first look
stats-first-look-hours = { $hours ->
    [one] اگر پس از یک ساعت خوانده نشود دیرکرده است
   *[other] اگر پس از { $hours } ساعت خوانده نشود دیرکرده است
}
stats-by-status = گزارش‌ها بر پایه وضعیت
stats-first-look = زمان تا نخستین نگاه: از رسیدن تا وقتی کسی در میز گزارش را باز کرد. گزارش دیرکرده با سنش تا اکنون شمرده می‌شود؛ گزارشی که هنوز باز نشده و هنوز دیر نشده کنار گذاشته می‌شود.
stats-window = گزارش‌های رسیده
stats-window-tips = گزارش‌ها
stats-median = میانه
stats-p90 = صدک نودم
stats-last-7 = در ۷ روز گذشته
stats-last-30 = در ۳۰ روز گذشته
stats-no-tips = چیزی نرسید
# $wait: a time such as "5 h"; an unopened tip may make it longer
stats-at-least = دست‌کم { $wait }
# $day: a date (YYYY-MM-DD)
stats-chart-day = { $day }: { $count ->
    [one] یک گزارش
   *[other] { $count } گزارش
}
stats-chart = گزارش‌ها در هر روز در { $desk } در { $days } روز گذشته (بلندترین ستون: { $max })
stats-first-look-short = زمان تا نخستین نگاه

## Cases: near-identical tips on one article, grouped as they arrive
queue-badge-similar = +{ $n } مشابه
case-heading = پرونده‌ای با { $count } گزارش
case-about = گزارش‌هایی دربارهٔ یک مطلب با متنی تقریباً یکسان، از قدیمی‌ترین. وضعیتی که اینجا تعیین شود برای تک‌تک گزارش‌ها، یکی‌یکی، تعیین و ثبت می‌شود.
case-more = … و { $count } گزارش دیگر که اینجا نشان داده نشده است.
case-status = وضعیت همهٔ گزارش‌ها
case-apply-status = اعمال بر پرونده
case-merge-with = ادغام با پروندهٔ گزارش
case-merge = ادغام
case-leave = بیرون آوردن از پرونده
case-not-in-one = این گزارش در هیچ پرونده‌ای نیست.
case-merge-same = هر دو گزارش از پیش در همین پرونده‌اند.
case-merge-no-reference = شناسهٔ یکی از گزارش‌های پروندهٔ دیگر را بنویسید.
case-merge-unknown = چنین گزارشی در میزهای شما نیست.
case-merge-other-desk = آن گزارش از میز دیگری است: هر پرونده در یک میز می‌ماند.
history-case-left = آن را از پرونده‌اش بیرون آورد
history-case-merged = پرونده‌اش را با پرونده‌ای دیگر ادغام کرد
