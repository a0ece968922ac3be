//! Row ids, one type per table, so a tip's id cannot be passed where a
//! user's is meant. Stored as `BIGINT`; shown and parsed as the number.

crate::id_type!(
    /// A tip's row id (what `/desk/tips/{id}` names). Readers never see
    /// it; they get a [`super::TipReference`].
    TipId
);
crate::id_type!(
    /// A staff account's row id.
    UserId
);
crate::id_type!(
    /// A notification job's row id in the outbox.
    JobId
);
crate::id_type!(
    /// A case of near-identical tips (`tips.case_id`): named by the id of
    /// its first tip, the smallest in it (see `triage::cases`).
    CaseId
);
