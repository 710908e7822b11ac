//! The quality of reported figures: validation rules defined by the
//! statistics office and checked over what units reported, and outliers in
//! each unit's series. Civil servants read both.

use crate::areas;
use crate::errors::problem;
use crate::views::{CheckQuery, OutlierQuery, OutlierView, RuleView, ViolationView};
use crate::work::{directory, known_area, period_range, same_code};
use egov_identity::Permission;
use egov_indicators::quality::outliers;
use egov_indicators::{rulebook, store, OutlierMethod, Period};
use egov_kernel::Locale;
use egov_org::Directory;
use egov_web_kit::auth::ApiCaller;
use egov_web_kit::problem::ApiError;
use egov_web_kit::state::AppState;
use std::collections::HashSet;

pub async fn rules(state: &AppState, caller: &ApiCaller) -> Result<Vec<RuleView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let rules = rulebook::rules(&state.db).await.map_err(problem)?;
    Ok(rules.into_iter().map(RuleView::from).collect())
}

/// Defines the rule `code` or changes it; whether it was new.
pub async fn define_rule(
    state: &AppState,
    caller: &ApiCaller,
    code: &str,
    view: &RuleView,
) -> Result<bool, ApiError> {
    caller.require(Permission::ManageIndicators)?;
    same_code(code, &view.code)?;
    let rule = view.rule(code).ok_or_else(|| {
        ApiError::validation(
            "比较符须为 ==、!=、<、<=、> 或 >=",
            "operator is one of ==, !=, <, <=, > or >=",
        )
    })?;
    rulebook::define(&state.db, &caller.context, &rule)
        .await
        .map_err(problem)
}

/// Where the query asks to look: the areas (none: all) and the days.
struct Scope {
    areas: Option<HashSet<String>>,
    from: Period,
    to: Period,
}

impl Scope {
    fn read(
        directory: &Directory,
        area: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Scope, ApiError> {
        let periods = period_range(from, to)?;
        let areas = match area {
            Some(a) => {
                known_area(directory, a)?;
                Some(areas::within(directory, a))
            }
            None => None,
        };
        Ok(Scope {
            areas,
            from: periods[0],
            to: periods[periods.len() - 1],
        })
    }

    fn wants(&self, area: &str, period: &Period) -> bool {
        let (a, b) = period.days();
        self.from.days().0 <= a
            && b <= self.to.days().1
            && self.areas.as_ref().is_none_or(|s| s.contains(area))
    }
}

/// Every unit and period in the query where a rule does not hold.
pub async fn violations(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    query: &CheckQuery,
) -> Result<Vec<ViolationView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let directory = directory(&state.db).await?;
    let scope = Scope::read(&directory, query.area.as_deref(), &query.from, &query.to)?;
    broken_rules(&state.db, &directory, locale, None, |a, p| {
        scope.wants(a, p)
    })
    .await
}

/// Where the rules (those naming one of `elements`, or all) do not hold
/// among the reports `wants` keeps.
pub(crate) async fn broken_rules(
    db: &egov_store::Db,
    directory: &Directory,
    locale: Locale,
    elements: Option<&[String]>,
    wants: impl Fn(&str, &Period) -> bool,
) -> Result<Vec<ViolationView>, ApiError> {
    let defined = rulebook::rules(db).await.map_err(problem)?;
    let mut rules = Vec::with_capacity(defined.len());
    for d in &defined {
        // Checked when stored; read again here.
        let rule = d.checked(|_| true).map_err(ApiError::internal)?;
        let named = rule.elements();
        if elements.is_some_and(|only| !named.iter().any(|n| only.iter().any(|o| o == n))) {
            continue;
        }
        rules.push((d, rule));
    }
    // One cube for every rule kept: the elements they name, read once.
    let named: std::collections::BTreeSet<&str> =
        rules.iter().flat_map(|(_, r)| r.elements()).collect();
    let named: Vec<&str> = named.into_iter().collect();
    let cube = store::cube(db, &named).await.map_err(problem)?;
    let mut out = Vec::new();
    for (d, rule) in rules {
        let name = egov_web_kit::page::localized(locale, &d.name, d.name_en.as_deref());
        out.extend(
            rule.violations(&cube, &wants)
                .into_iter()
                .map(|v| ViolationView {
                    area_name: areas::label(directory, &v.area, locale),
                    rule: v.rule,
                    rule_name: name.clone(),
                    area: v.area,
                    period: v.period.to_string(),
                    left: v.left,
                    operator: d.operator.as_str().to_owned(),
                    right: v.right,
                }),
        );
    }
    out.sort_by(|a, b| (&a.area, &a.period, &a.rule).cmp(&(&b.area, &b.period, &b.rule)));
    Ok(out)
}

/// The values far from the rest of their area's series of the element.
pub async fn outliers_of(
    state: &AppState,
    caller: &ApiCaller,
    locale: Locale,
    query: &OutlierQuery,
) -> Result<Vec<OutlierView>, ApiError> {
    caller.require(Permission::ReadIndicators)?;
    let method = match query.method.as_deref() {
        None | Some("robust") => OutlierMethod::Robust,
        Some("z_score") => OutlierMethod::ZScore,
        Some(_) => {
            return Err(ApiError::validation(
                "方法须为 robust 或 z_score",
                "method is robust or z_score",
            ))
        }
    };
    let threshold = query
        .threshold
        .unwrap_or_else(|| method.default_threshold());
    if !threshold.is_finite() || threshold <= 0.0 {
        return Err(ApiError::validation(
            "阈值须为正数",
            "the threshold is a positive number",
        ));
    }
    let directory = directory(&state.db).await?;
    let scope = Scope::read(&directory, query.area.as_deref(), &query.from, &query.to)?;
    let cube = store::cube(&state.db, &[query.element.as_str()])
        .await
        .map_err(problem)?;
    if !cube.knows(&query.element) {
        return Err(ApiError::not_found("没有这个指标项", "no such element"));
    }
    // One series per area and kind of period: months are not compared
    // with the combined January–February.
    let mut series: std::collections::BTreeMap<(&str, _), Vec<(Period, f64)>> =
        std::collections::BTreeMap::new();
    for (area, period, value) in cube.reports(&query.element) {
        if scope.wants(area, &period) {
            series
                .entry((area, period.kind()))
                .or_default()
                .push((period, value));
        }
    }
    let mut out = Vec::new();
    for ((area, _), mut s) in series {
        s.sort_by_key(|(p, _)| *p);
        out.extend(
            outliers(&s, method, threshold)
                .into_iter()
                .map(|o| OutlierView {
                    area: area.to_owned(),
                    area_name: areas::label(&directory, area, locale),
                    period: o.period.to_string(),
                    value: o.value,
                    score: o.score,
                }),
        );
    }
    Ok(out)
}
