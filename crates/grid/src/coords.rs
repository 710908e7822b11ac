//! Points on the earth in WGS 84, the datum everything is stored in, and
//! the GCJ-02 offset that maps made in China apply (高德, 腾讯, and 百度
//! before its own second offset). A phone's GPS gives WGS 84; a point picked
//! on such a map is GCJ-02 and lands 300–600 m off until converted.

use serde::{Deserialize, Serialize};

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// The datum a point was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datum {
    #[default]
    Wgs84,
    Gcj02,
}

impl Datum {
    /// The datum named in a request (`wgs84`, `gcj02`; case-insensitive).
    pub fn parse(s: &str) -> Option<Datum> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" | "epsg:4326" => Some(Datum::Wgs84),
            "gcj02" | "gcj-02" => Some(Datum::Gcj02),
            _ => None,
        }
    }
}

impl Point {
    /// A point, or why not: latitude in [-90, 90], longitude in [-180, 180],
    /// both finite.
    pub fn new(lat: f64, lon: f64) -> Result<Point, &'static str> {
        // NaN lies in no range, so this refuses it too.
        if !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return Err("latitude must lie in [-90, 90] and longitude in [-180, 180]");
        }
        Ok(Point { lat, lon })
    }

    /// This point given in `datum`, as WGS 84.
    pub fn from_datum(self, datum: Datum) -> Point {
        match datum {
            Datum::Wgs84 => self,
            Datum::Gcj02 => gcj02_to_wgs84(self),
        }
    }

    /// Metres to `other` along the sphere (haversine; within 0.5 % of the
    /// ellipsoid, plenty for "within 250 m").
    pub fn distance_m(self, other: Point) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().asin()
    }
}

/// The mean earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

// The published GCJ-02 parameters: Krasovsky 1940's semi-major axis and
// first eccentricity squared.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// Outside China's rough bounding box the offset is not applied.
fn outside_china(p: Point) -> bool {
    !(72.004..=137.8347).contains(&p.lon) || !(0.8293..=55.8271).contains(&p.lat)
}

fn offset(p: Point) -> (f64, f64) {
    let x = p.lon - 105.0;
    let y = p.lat - 35.0;
    let pi = std::f64::consts::PI;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * pi).sin() + 40.0 * (y / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * pi).sin() + 320.0 * (y * pi / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * pi).sin() + 40.0 * (x / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * pi).sin() + 300.0 * (x / 30.0 * pi).sin()) * 2.0 / 3.0;
    let rad = p.lat.to_radians();
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * pi);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * pi);
    (dlat, dlon)
}

/// Metres in a degree of latitude.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// The half-sides, in degrees of latitude and longitude, of the square
/// around `p` that holds every point within `radius_m` of it (the band a
/// query reads before measuring).
pub fn degrees_around(p: Point, radius_m: f64) -> (f64, f64) {
    let dlat = radius_m / METRES_PER_DEGREE;
    let dlon = radius_m / (METRES_PER_DEGREE * p.lat.to_radians().cos().max(0.01));
    (dlat, dlon)
}

/// Zones (about 280 m square) in a degree of latitude and of longitude.
const ZONES_PER_DEGREE_LAT: f64 = 400.0;
const ZONES_PER_DEGREE_LON: f64 = 300.0;
/// The most zones a query names; wider circles read the band of latitude.
const MOST_ZONES: usize = 64;

/// The zone a point lies in: rows of reports carry it (`grid_reports.zone`)
/// so that those near a point are found by a few index ranges instead of
/// a band across the city. The migrations fill it for older rows with the
/// same formula.
pub fn zone(p: Point) -> i64 {
    let row = ((p.lat + 90.0) * ZONES_PER_DEGREE_LAT).floor() as i64;
    let column = ((p.lon + 180.0) * ZONES_PER_DEGREE_LON).floor() as i64;
    row * 1_000_000 + column
}

/// The zones that cover the square around `p` holding every point within
/// `radius_m`; `None` when that takes more than [`MOST_ZONES`].
pub fn zones_around(p: Point, radius_m: f64) -> Option<Vec<i64>> {
    let (dlat, dlon) = degrees_around(p, radius_m);
    let (low, high) = (
        zone(Point {
            lat: p.lat - dlat,
            lon: p.lon - dlon,
        }),
        zone(Point {
            lat: p.lat + dlat,
            lon: p.lon + dlon,
        }),
    );
    let (rows, columns) = (
        low / 1_000_000..=high / 1_000_000,
        low % 1_000_000..=high % 1_000_000,
    );
    let count = (rows.clone().count()) * (columns.clone().count());
    (count <= MOST_ZONES).then(|| {
        rows.flat_map(|r| columns.clone().map(move |c| r * 1_000_000 + c))
            .collect()
    })
}

/// WGS 84 to GCJ-02 (what a Chinese map draws a GPS point at).
pub fn wgs84_to_gcj02(p: Point) -> Point {
    if outside_china(p) {
        return p;
    }
    let (dlat, dlon) = offset(p);
    Point {
        lat: p.lat + dlat,
        lon: p.lon + dlon,
    }
}

/// GCJ-02 back to WGS 84. The offset has no closed inverse; a few rounds
/// of fixed-point iteration bring it within a millimetre.
pub fn gcj02_to_wgs84(g: Point) -> Point {
    if outside_china(g) {
        return g;
    }
    let mut w = g;
    for _ in 0..10 {
        let there = wgs84_to_gcj02(w);
        let (elat, elon) = (there.lat - g.lat, there.lon - g.lon);
        w = Point {
            lat: w.lat - elat,
            lon: w.lon - elon,
        };
        if elat.abs() < 1e-10 && elon.abs() < 1e-10 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The flagpole on Tiananmen Square: WGS 84 from survey, and where the
    // GCJ-02 maps draw it (the offset there is about +0.0013°, +0.0062°).
    const FLAGPOLE: Point = Point {
        lat: 39.905_53,
        lon: 116.391_27,
    };

    #[test]
    fn the_offset_in_beijing_is_a_few_hundred_metres_north_east() {
        let g = wgs84_to_gcj02(FLAGPOLE);
        assert!((g.lat - FLAGPOLE.lat - 0.00134).abs() < 0.0002, "{g:?}");
        assert!((g.lon - FLAGPOLE.lon - 0.00624).abs() < 0.0002, "{g:?}");
        let metres = FLAGPOLE.distance_m(g);
        assert!((500.0..650.0).contains(&metres), "{metres}");
    }

    #[test]
    fn outside_china_nothing_moves() {
        let paris = Point::new(48.8566, 2.3522).unwrap();
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(gcj02_to_wgs84(paris), paris);
    }

    #[test]
    fn a_kilometre_is_a_kilometre() {
        // One minute of latitude is a nautical mile, near enough.
        let a = Point::new(39.9, 116.4).unwrap();
        let b = Point::new(39.9 + 1.0 / 60.0, 116.4).unwrap();
        assert!((a.distance_m(b) - 1853.0).abs() < 5.0);
    }

    #[test]
    fn bad_points_are_refused() {
        assert!(Point::new(91.0, 0.0).is_err());
        assert!(Point::new(0.0, -180.5).is_err());
        assert!(Point::new(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn a_circle_of_250_m_takes_a_few_zones_and_a_wide_one_none() {
        let zones = zones_around(FLAGPOLE, 250.0).unwrap();
        assert!((4..=9).contains(&zones.len()), "{zones:?}");
        assert!(zones.contains(&zone(FLAGPOLE)));
        assert_eq!(zones_around(FLAGPOLE, 5_000.0), None);
    }

    proptest! {
        #[test]
        fn every_point_in_the_circle_lies_in_one_of_its_zones(
            lat in 39.0f64..41.0, lon in 115.5f64..117.5,
            bearing in 0.0f64..std::f64::consts::TAU, share in 0.0f64..1.0,
        ) {
            let centre = Point { lat, lon };
            let (dlat, dlon) = degrees_around(centre, 250.0);
            let p = Point {
                lat: lat + dlat * share * bearing.sin(),
                lon: lon + dlon * share * bearing.cos(),
            };
            prop_assert!(zones_around(centre, 250.0).unwrap().contains(&zone(p)));
        }

        #[test]
        fn gcj02_round_trips_within_a_millimetre(lat in 18.0f64..53.0, lon in 74.0f64..134.0) {
            let w = Point { lat, lon };
            let back = gcj02_to_wgs84(wgs84_to_gcj02(w));
            prop_assert!(w.distance_m(back) < 0.001, "{w:?} -> {back:?}");
        }
    }
}
