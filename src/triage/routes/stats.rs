//! `GET /desk/stats`: each desk's figures ([`crate::triage::stats`]), for
//! the desks the person sees, with a chart of tips per day drawn on the
//! server as SVG (as `/ops/queue`'s chart is: no script, and it reads the
//! same in every browser).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Staff;
use crate::db::DbError;
use crate::domain::TipStatus;
use crate::i18n::{Locale, Msg};
use crate::state::AppState;
use crate::triage::first_look::{Age, FirstLook};
use crate::triage::stats::{self, DeskStats, Wait};
use crate::web::{html_no_store, Format, WebError};

/// The chart's plotting height and each day's slot, in SVG units.
const CHART_H: i64 = 100;
const SLOT: i64 = 20;
/// Room on each side of the bars for half a date label ("11-30" at 10
/// units is about 28 wide).
const LABEL_MARGIN: i64 = 16;

/// One day's bar of the chart, in SVG units.
struct Bar {
    x: i64,
    y: i64,
    h: i64,
    n: i64,
    day: String,
    /// The day as labelled under the axis (MM-DD).
    short: String,
    /// Whether the day is labelled under the axis (every 7th, the last).
    labelled: bool,
}

/// A desk as the page shows it.
struct DeskView {
    stats: DeskStats,
    /// The desk's name from its settings.
    name: String,
    first_look_hours: u32,
    bars: Vec<Bar>,
    /// The largest day's count (the chart's scale).
    max: i64,
}

fn bars(per_day: &[(chrono::NaiveDate, i64)]) -> (Vec<Bar>, i64) {
    let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let last = per_day.len().saturating_sub(1);
    let bars = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = (n * CHART_H + max - 1) / max;
            Bar {
                x: LABEL_MARGIN + i as i64 * SLOT + 2,
                y: CHART_H - h,
                h,
                n: *n,
                day: day.format("%Y-%m-%d").to_string(),
                short: day.format("%m-%d").to_string(),
                labelled: (last - i) % 7 == 0,
            }
        })
        .collect();
    (bars, max)
}

#[derive(Template)]
#[template(path = "desk/stats.html")]
struct StatsPage<'a> {
    l: Locale,
    staff: &'a Staff,
    desks: Vec<DeskView>,
    now: chrono::NaiveDateTime,
}

impl StatsPage<'_> {
    fn status_name(&self, s: &TipStatus) -> String {
        self.l.msg(&s.name())
    }

    fn n(&self, n: &i64) -> String {
        self.l.number(*n)
    }

    fn wait(&self, w: &Wait) -> String {
        let shown = |d: chrono::Duration| self.l.msg(&Age::between(self.now - d, self.now).msg());
        match w {
            Wait::NoTips => self.l.t("stats-no-tips"),
            Wait::Exactly(d) => shown(*d),
            Wait::AtLeast(d) => self
                .l
                .msg(&Msg::new("stats-at-least").localized("wait", shown(*d))),
        }
    }

    fn hours(&self, d: &DeskView) -> String {
        self.l
            .msg(&Msg::new("stats-first-look-hours").number("hours", i64::from(d.first_look_hours)))
    }

    fn bar_title(&self, b: &Bar) -> String {
        self.l.msg(
            &Msg::new("stats-chart-day")
                .localized("day", b.day.clone())
                .number("count", b.n),
        )
    }

    fn chart_label(&self, d: &DeskView) -> String {
        self.l.msg(
            &Msg::new("stats-chart")
                .localized("desk", d.name.clone())
                .number("days", stats::CHART_DAYS)
                .number("max", d.max),
        )
    }

    /// The days' slots and a margin on each side for the date labels,
    /// centred under their bars (the last, "11-30", would be cut off
    /// at the edge otherwise).
    fn chart_width(&self) -> i64 {
        stats::CHART_DAYS * SLOT + 2 * LABEL_MARGIN
    }
}

/// `GET /desk/stats`
pub async fn stats_page(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, WebError> {
    if !staff.sees_tips() {
        return Err(WebError::new(
            Format::Html,
            StatusCode::FORBIDDEN,
            "forbidden",
            Msg::new("stats-no-tips-to-count"),
        ));
    }
    let desks: Vec<String> = state
        .settings
        .desks
        .keys()
        .filter(|d| staff.sees_desk(d))
        .cloned()
        .collect();
    let now = crate::db::now();
    let look = FirstLook::new(&state.settings.desks, now);
    let figures = state
        .pool
        .run(move |conn| Ok::<_, DbError>(stats::desks(conn, &desks, &look)?))
        .await?;
    let desks = figures
        .into_iter()
        .map(|s| {
            let settings = state.settings.desks.get(&s.desk);
            let (bars, max) = bars(&s.per_day);
            DeskView {
                name: settings.map_or_else(|| s.desk.clone(), |d| d.name.clone()),
                first_look_hours: settings.map_or(0, |d| d.first_look_hours.get()),
                bars,
                max,
                stats: s,
            }
        })
        .collect();
    Ok(html_no_store(
        StatusCode::OK,
        &StatsPage {
            l: staff.locale,
            staff: &staff,
            desks,
            now,
        },
    ))
}
