// One schema for both engines: only types both map the same way (BigInt,
// Integer, Text, Bool, Timestamp). Kept in step with migrations/ by hand;
// tests/api/schema.rs migrates a fresh database on each engine and fails
// when this file and the migrations disagree.

diesel::table! {
    articles (id) {
        id -> Text,
        title -> Text,
        url -> Text,
        section -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        language -> Nullable<Text>,
        /// When the CMS retired it; its form then answers 410.
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// What the last poll of each configured feed learned, and its lease.
    feeds (url) {
        url -> Text,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        next_poll_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_attempt_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    tips (id) {
        id -> BigInt,
        reference -> Text,
        article_id -> Text,
        desk -> Text,
        kind -> Text,
        message -> Text,
        quote -> Nullable<Text>,
        reader_name -> Nullable<Text>,
        contact -> Nullable<Text>,
        contact_kind -> Nullable<Text>,
        consent -> Bool,
        status -> Text,
        client_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        assignee_id -> Nullable<BigInt>,
        fingerprint -> Text,
        /// `message` folded for search (`domain::folding`); NULL until
        /// folded (see `db::search_text`).
        search_text -> Nullable<Text>,
        /// Set when the reader writes and the desk has not answered yet.
        reader_replied_at -> Nullable<Timestamp>,
        /// The published correction's address, for the reader's view.
        published_url -> Nullable<Text>,
        /// The message's language as detected when stored
        /// (`domain::language`), a BCP 47 language subtag; NULL: unknown.
        language -> Nullable<Text>,
        /// When anyone at the desk first opened the tip.
        first_read_at -> Nullable<Timestamp>,
        /// Files the reader sent with the tip (the queue's badge); set
        /// with the row, as the files are stored only with the tip.
        attachment_count -> Integer,
        /// The case the tip is in, named by its first tip's id (NULL:
        /// alone, or the first tip of its case); see `triage::cases`.
        case_id -> Nullable<BigInt>,
        /// The sketch new tips are compared with
        /// (`triage::similarity::Sketch::to_bytes`).
        case_sketch -> Nullable<Binary>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        tip_id -> BigInt,
        desk -> Text,
        recipient -> Text,
        message_id -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        digest -> Bool,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// `tip` (a new tip), `reply` (the reader wrote back) or `reminder`
        /// (the desk's tips are overdue; `tip_id` is the oldest of them).
        reason -> Text,
        /// A `reply` job's message (`tip_messages.seq`); NULL otherwise.
        message_seq -> Nullable<Integer>,
    }
}

diesel::joinable!(tips -> articles (article_id));
diesel::joinable!(outbox -> tips (tip_id));

diesel::table! {
    outbox_attempts (id) {
        id -> BigInt,
        job_id -> BigInt,
        attempted_at -> Timestamp,
        outcome -> Text,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    mailboxes (recipient) {
        recipient -> Text,
        last_mailed_at -> Timestamp,
    }
}

diesel::table! {
    worker_heartbeats (worker_id) {
        worker_id -> Text,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_desks (user_id, desk) {
        user_id -> BigInt,
        desk -> Text,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    tip_events (id) {
        id -> BigInt,
        tip_id -> BigInt,
        user_id -> Nullable<BigInt>,
        kind -> Text,
        from_value -> Nullable<Text>,
        to_value -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tip_labels (tip_id, label) {
        tip_id -> BigInt,
        label -> Text,
    }
}

diesel::table! {
    tip_reads (user_id, tip_id) {
        user_id -> BigInt,
        tip_id -> BigInt,
        read_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        target -> Text,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    storage_probe (id) {
        id -> BigInt,
        pad -> Text,
    }
}

diesel::table! {
    tip_receipts (receipt_hash) {
        receipt_hash -> Text,
        tip_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tip_messages (id) {
        id -> BigInt,
        tip_id -> BigInt,
        seq -> Integer,
        author -> Text,
        user_id -> Nullable<BigInt>,
        /// Sealed with the privacy key ring.
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    receipt_failures (id) {
        id -> BigInt,
        client_hash -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        tip_id -> BigInt,
        n -> Integer,
        name -> Text,
        file_key -> Text,
        sha256 -> Text,
        file_type -> Text,
        size -> BigInt,
        metadata -> Text,
        created_at -> Timestamp,
        message_seq -> Nullable<Integer>,
    }
}

diesel::table! {
    attachment_chunks (attachment_id, seq) {
        attachment_id -> BigInt,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    /// One reminder of overdue tips per desk per UTC day
    /// (`triage::reminder`).
    desk_reminders (desk, day) {
        desk -> Text,
        /// The UTC midnight that starts the day.
        day -> Timestamp,
        overdue -> BigInt,
        unread -> BigInt,
        cutoff -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::joinable!(outbox_attempts -> outbox (job_id));
diesel::joinable!(attachments -> tips (tip_id));
diesel::joinable!(attachment_chunks -> attachments (attachment_id));
diesel::joinable!(tip_receipts -> tips (tip_id));
diesel::joinable!(tip_messages -> tips (tip_id));
diesel::joinable!(tip_messages -> users (user_id));
diesel::joinable!(user_desks -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(tip_events -> tips (tip_id));
diesel::joinable!(tip_events -> users (user_id));
diesel::joinable!(tip_labels -> tips (tip_id));
diesel::joinable!(tip_reads -> tips (tip_id));
diesel::joinable!(tips -> users (assignee_id));
diesel::allow_tables_to_appear_in_same_query!(
    articles,
    desk_reminders,
    tips,
    outbox,
    outbox_attempts,
    mailboxes,
    worker_heartbeats,
    users,
    user_desks,
    sessions,
    recovery_codes,
    login_failures,
    tip_events,
    tip_labels,
    tip_reads,
    audit_log,
    storage_probe,
    tip_receipts,
    tip_messages,
    receipt_failures,
    feeds,
    attachments,
    attachment_chunks,
);
