//! The audit trail over HTTP and `tipdesk audit verify`: the hash chain
//! verifies, and tampering is found. Mirrors `src/audit/`.

use crate::helpers::*;
use serde_json::json;

async fn the_audit_chain_verifies_and_tampering_is_found(backend: Backend) {
    let app = newsroom(backend).await;
    app.leave_jobs_unsent();
    let id = send_tip(&app, DEMO_ARTICLE, json!({"message": DESK_MESSAGE})).await;
    let editor = signed_in(&app, "intl@example.org", "editor", &["international"]).await;
    for step in ["in_review", "verified"] {
        editor
            .post(&format!("/desk/tips/{id}/status"), &[("status", step)])
            .await;
    }
    let ok = app.cli(&["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 4 entries"));

    // Someone rewrites history in the database.
    app.execute_sql("UPDATE audit_log SET details = 'new -> closed' WHERE action = 'tip.status' AND details = 'in_review -> verified'");
    let broken = app.cli(&["audit", "verify"]);
    assert!(!broken.status.success());
    let err = String::from_utf8_lossy(&broken.stderr).into_owned();
    assert!(
        err.contains("broken at entry 4") && err.contains("was changed"),
        "{err}"
    );

    app.execute_sql("DELETE FROM audit_log WHERE id = 4");
    app.execute_sql("DELETE FROM audit_log WHERE id = 2");
    let removed = app.cli(&["audit", "verify"]);
    let err = String::from_utf8_lossy(&removed.stderr).into_owned();
    assert!(
        err.contains("broken at entry 3") && err.contains("removed"),
        "{err}"
    );
}

crate::both_backends!(the_audit_chain_verifies_and_tampering_is_found,);
