//! Formulas over data elements, in DHIS2's notation: `#{code}` is an
//! element's value, with numbers, `+ - * /` and brackets. An indicator's
//! numerator and denominator are such expressions; they are checked when
//! defined (every reference known, none to the indicator itself) and
//! evaluated when asked, a missing value making the whole missing rather
//! than zero, and a division by zero giving no value.

use std::collections::BTreeSet;

/// How deep brackets and signs may nest: far beyond any real formula, well
/// within the stack.
pub const MAX_DEPTH: usize = 100;

/// How many operators a formula may chain (each nests the tree a level).
pub const MAX_TERMS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    Number(f64),
    Element(String),
    /// `#{code@prev}`: the element in the period just before, within the year.
    Earlier(String),
    Negate(Box<Expression>),
    Binary(Box<Expression>, Op, Box<Expression>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpressionError {
    #[error("the formula is empty")]
    Empty,
    #[error("at character {at}: {what}")]
    Syntax { at: usize, what: &'static str },
    #[error("the formula refers to no data element")]
    NoReference,
    #[error("the formula refers to an unknown data element: {0}")]
    Unknown(String),
    #[error("the formula refers to itself: {0}")]
    Circular(String),
    #[error("an indicator's formula cannot refer to an earlier period: {0}@prev")]
    EarlierInIndicator(String),
    #[error("the formula nests brackets or signs more than {MAX_DEPTH} deep, or has more than {MAX_TERMS} terms")]
    TooDeep,
}

impl ExpressionError {
    /// The message in Chinese, for the pages and problem documents.
    pub fn zh(&self) -> String {
        match self {
            ExpressionError::Empty => "公式为空".to_owned(),
            ExpressionError::Syntax { at, .. } => format!("第 {at} 个字符处写法有误"),
            ExpressionError::NoReference => "公式没有引用任何指标项".to_owned(),
            ExpressionError::Unknown(c) => format!("公式引用了不存在的指标项：{c}"),
            ExpressionError::Circular(c) => format!("公式引用了指标自身：{c}"),
            ExpressionError::EarlierInIndicator(c) => {
                format!("指标公式不能引用上期值：{c}@prev")
            }
            ExpressionError::TooDeep => {
                format!("公式嵌套超过 {MAX_DEPTH} 层或超过 {MAX_TERMS} 项")
            }
        }
    }
}

impl Expression {
    pub fn parse(text: &str) -> Result<Expression, ExpressionError> {
        if text.trim().is_empty() {
            return Err(ExpressionError::Empty);
        }
        let mut p = Parser {
            chars: text.char_indices().collect(),
            at: 0,
            depth: 0,
            terms: 0,
        };
        let e = p.sum()?;
        p.skip_space();
        if p.at < p.chars.len() {
            return Err(p.error("unexpected character"));
        }
        Ok(e)
    }

    /// The element codes it refers to.
    pub fn references(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        fn walk<'a>(e: &'a Expression, out: &mut BTreeSet<&'a str>) {
            match e {
                Expression::Number(_) => {}
                Expression::Element(c) | Expression::Earlier(c) => {
                    out.insert(c.as_str());
                }
                Expression::Negate(x) => walk(x, out),
                Expression::Binary(a, _, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        walk(self, &mut out);
        out
    }

    /// The first element referred to in the period before (`@prev`).
    pub fn earlier(&self) -> Option<&str> {
        match self {
            Expression::Number(_) | Expression::Element(_) => None,
            Expression::Earlier(c) => Some(c),
            Expression::Negate(x) => x.earlier(),
            Expression::Binary(a, _, b) => a.earlier().or_else(|| b.earlier()),
        }
    }

    /// Checks an indicator's formula: it refers to something, only to
    /// what `known` knows, never to `own` (the indicator's own code;
    /// formulas name elements only, so no longer loop is possible), and to
    /// no earlier period (an indicator is worked out for any period).
    pub fn check(&self, own: &str, known: impl Fn(&str) -> bool) -> Result<(), ExpressionError> {
        if let Some(c) = self.earlier() {
            return Err(ExpressionError::EarlierInIndicator(c.to_owned()));
        }
        self.check_references(own, known)
    }

    /// Checks that the formula refers to something, only to what `known`
    /// knows, and never to `own`.
    pub fn check_references(
        &self,
        own: &str,
        known: impl Fn(&str) -> bool,
    ) -> Result<(), ExpressionError> {
        let refs = self.references();
        if refs.is_empty() {
            return Err(ExpressionError::NoReference);
        }
        if refs.contains(own) {
            return Err(ExpressionError::Circular(own.to_owned()));
        }
        match refs.into_iter().find(|r| !known(r)) {
            Some(r) => Err(ExpressionError::Unknown(r.to_owned())),
            None => Ok(()),
        }
    }

    /// The value, given each element's: none when a value is missing or a
    /// division is by zero (or an earlier period is referred to).
    pub fn evaluate(&self, value: &impl Fn(&str) -> Option<f64>) -> Option<f64> {
        self.evaluate_with(value, &|_| None)
    }

    /// The value, given each element's in the period and in the one before.
    pub fn evaluate_with(
        &self,
        value: &impl Fn(&str) -> Option<f64>,
        earlier: &impl Fn(&str) -> Option<f64>,
    ) -> Option<f64> {
        match self {
            Expression::Number(n) => Some(*n),
            Expression::Element(c) => value(c),
            Expression::Earlier(c) => earlier(c),
            Expression::Negate(x) => x.evaluate_with(value, earlier).map(|v| -v),
            Expression::Binary(a, op, b) => {
                let (a, b) = (
                    a.evaluate_with(value, earlier)?,
                    b.evaluate_with(value, earlier)?,
                );
                match op {
                    Op::Add => Some(a + b),
                    Op::Subtract => Some(a - b),
                    Op::Multiply => Some(a * b),
                    Op::Divide if b == 0.0 => None,
                    Op::Divide => Some(a / b),
                }
            }
        }
    }
}

struct Parser {
    chars: Vec<(usize, char)>,
    at: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn error(&self, what: &'static str) -> ExpressionError {
        ExpressionError::Syntax {
            at: self.at + 1,
            what,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).map(|c| c.1)
    }

    /// One more operator, within [`MAX_TERMS`].
    fn operator(&mut self) -> Result<(), ExpressionError> {
        self.at += 1;
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(ExpressionError::TooDeep);
        }
        Ok(())
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn sum(&mut self) -> Result<Expression, ExpressionError> {
        let mut left = self.product()?;
        loop {
            self.skip_space();
            let op = match self.peek() {
                Some('+') => Op::Add,
                Some('-') => Op::Subtract,
                _ => return Ok(left),
            };
            self.operator()?;
            let right = self.product()?;
            left = Expression::Binary(Box::new(left), op, Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Expression, ExpressionError> {
        let mut left = self.unary()?;
        loop {
            self.skip_space();
            let op = match self.peek() {
                Some('*') => Op::Multiply,
                Some('/') => Op::Divide,
                _ => return Ok(left),
            };
            self.operator()?;
            let right = self.unary()?;
            left = Expression::Binary(Box::new(left), op, Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expression, ExpressionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExpressionError::TooDeep);
        }
        let e = self.operand();
        self.depth -= 1;
        e
    }

    fn operand(&mut self) -> Result<Expression, ExpressionError> {
        self.skip_space();
        match self.peek() {
            Some('-') => {
                self.at += 1;
                Ok(Expression::Negate(Box::new(self.unary()?)))
            }
            Some('(') => {
                self.at += 1;
                let e = self.sum()?;
                self.skip_space();
                if self.peek() != Some(')') {
                    return Err(self.error("a bracket is not closed"));
                }
                self.at += 1;
                Ok(e)
            }
            Some('#') => {
                self.at += 1;
                if self.peek() != Some('{') {
                    return Err(self.error("an element is written #{code}"));
                }
                self.at += 1;
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
                {
                    self.at += 1;
                }
                let code: String = self.chars[start..self.at].iter().map(|c| c.1).collect();
                let earlier = self.peek() == Some('@');
                if earlier {
                    let word: String = self.chars[self.at..].iter().take(5).map(|c| c.1).collect();
                    if word != "@prev" {
                        return Err(self.error("an earlier period is written #{code@prev}"));
                    }
                    self.at += 5;
                }
                if code.is_empty() || self.peek() != Some('}') {
                    return Err(self.error("an element is written #{code}"));
                }
                self.at += 1;
                Ok(if earlier {
                    Expression::Earlier(code)
                } else {
                    Expression::Element(code)
                })
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().map(|c| c.1).collect();
                text.parse()
                    .map(Expression::Number)
                    .map_err(|_| ExpressionError::Syntax {
                        at: start + 1,
                        what: "not a number",
                    })
            }
            Some(_) => Err(self.error("expected a number, #{code} or a bracket")),
            None => Err(self.error("the formula ends too soon")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(code: &str) -> Option<f64> {
        match code {
            "vacancies" => Some(122.0),
            "seekers" => Some(100.0),
            "zero" => Some(0.0),
            _ => None,
        }
    }

    #[test]
    fn a_ratio_is_worked_out_with_precedence_and_brackets() {
        let ratio = Expression::parse("#{vacancies} / #{seekers}").unwrap();
        assert_eq!(ratio.evaluate(&values), Some(1.22));
        let e = Expression::parse(" (#{vacancies} - #{seekers}) * 100 / #{seekers} + -1").unwrap();
        assert_eq!(e.evaluate(&values), Some(21.0));
        assert_eq!(
            ratio.references().into_iter().collect::<Vec<_>>(),
            vec!["seekers", "vacancies"]
        );
    }

    #[test]
    fn an_earlier_period_is_for_rules_not_indicators() {
        let e = Expression::parse("#{seekers@prev} + #{vacancies}").unwrap();
        assert_eq!(e.earlier(), Some("seekers"));
        assert_eq!(e.evaluate(&values), None);
        assert_eq!(e.evaluate_with(&values, &|_| Some(1.0)), Some(123.0));
        assert_eq!(
            e.check("rate", |_| true),
            Err(ExpressionError::EarlierInIndicator("seekers".into()))
        );
        assert!(e.check_references("rate", |_| true).is_ok());
        assert!(matches!(
            Expression::parse("#{seekers@next}"),
            Err(ExpressionError::Syntax { .. })
        ));
    }

    #[test]
    fn a_missing_value_or_a_division_by_zero_gives_no_value() {
        assert_eq!(
            Expression::parse("#{unknown} + 1")
                .unwrap()
                .evaluate(&values),
            None
        );
        assert_eq!(
            Expression::parse("#{vacancies} / #{zero}")
                .unwrap()
                .evaluate(&values),
            None
        );
    }

    #[test]
    fn bad_formulas_are_refused_with_where_and_why() {
        assert_eq!(Expression::parse("  "), Err(ExpressionError::Empty));
        assert!(matches!(
            Expression::parse("#{a} +"),
            Err(ExpressionError::Syntax { .. })
        ));
        assert!(matches!(
            Expression::parse("(#{a}"),
            Err(ExpressionError::Syntax { .. })
        ));
        assert!(matches!(
            Expression::parse("#a"),
            Err(ExpressionError::Syntax { at: 2, .. })
        ));
        assert!(matches!(
            Expression::parse("1..2"),
            Err(ExpressionError::Syntax { at: 1, .. })
        ));
        let known = |c: &str| c == "a" || c == "b";
        assert_eq!(
            Expression::parse("100").unwrap().check("x", known),
            Err(ExpressionError::NoReference)
        );
        assert_eq!(
            Expression::parse("#{a} / #{x}").unwrap().check("x", known),
            Err(ExpressionError::Circular("x".into()))
        );
        assert_eq!(
            Expression::parse("#{a} / #{c}").unwrap().check("x", known),
            Err(ExpressionError::Unknown("c".into()))
        );
        assert!(Expression::parse("#{a} / #{b}")
            .unwrap()
            .check("x", known)
            .is_ok());
    }
}
