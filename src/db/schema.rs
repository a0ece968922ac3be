// One schema for both engines: only types both map the same way (BigInt,
// Integer, Text, Bool, Timestamp). Kept in step with migrations/ by hand;
// the test suite runs every query on both engines.

diesel::table! {
    articles (id) {
        id -> Text,
        title -> Text,
        url -> Text,
        section -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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

diesel::joinable!(outbox_attempts -> outbox (job_id));
diesel::allow_tables_to_appear_in_same_query!(
    articles,
    tips,
    outbox,
    outbox_attempts,
    mailboxes,
    worker_heartbeats,
);
