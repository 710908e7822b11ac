//! The demonstration grid: 东城区 and 西城区 on their real boundaries
//! (`data/grid/demo/districts.geojson`, from an open dataset, in GCJ-02 and
//! converted here), their real streets drawn as the part of the district
//! nearest each street's point (`streets.toml`; not legal boundaries), and
//! 100 m cells in 500 m blocks over them ([`crate::build`]).

use crate::build::{origin_of, street_grid};
use crate::coords::Datum;
use crate::layers::{grid, import_areas, LayersError};
use crate::map::{areas_from_geojson, Area, Level, MapError};
use egov_kernel::Context;
use egov_store::Db;
use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;

pub const DISTRICTS: &str = include_str!("../../../data/grid/demo/districts.geojson");
pub const STREETS: &str = include_str!("../../../data/grid/demo/streets.toml");

#[derive(Deserialize)]
struct Streets {
    street: Vec<StreetPoint>,
}

#[derive(Deserialize)]
struct StreetPoint {
    code: String,
    name: String,
    /// Latitude, longitude (WGS 84).
    at: [f64; 2],
}

/// What building the demo grid can fail with (the shipped files are
/// checked by the tests, so only a bad edit gets here).
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Map(#[from] MapError),
    #[error("streets.toml: {0}")]
    Streets(#[from] toml::de::Error),
    #[error(transparent)]
    Layers(#[from] LayersError),
}

/// The half of the plane nearer `a` than `b`, as a polygon large enough for
/// a city, in degrees; distances measured with longitude scaled by `k`
/// (the cosine of the latitude), so the bisector is a true one.
fn nearer_half(a: [f64; 2], b: [f64; 2], k: f64) -> Polygon<f64> {
    // Local plane: x = lon * k, y = lat.
    let (ax, ay, bx, by) = (a[1] * k, a[0], b[1] * k, b[0]);
    let (mx, my) = ((ax + bx) / 2.0, (ay + by) / 2.0);
    let (dx, dy) = (bx - ax, by - ay);
    let len = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = (dx / len, dy / len); // towards b
    let (px, py) = (-uy, ux); // along the bisector
    let big = 2.0;
    let corners = [
        (mx + px * big, my + py * big),
        (mx + px * big - ux * big, my + py * big - uy * big),
        (mx - px * big - ux * big, my - py * big - uy * big),
        (mx - px * big, my - py * big),
    ];
    let mut ring: Vec<Coord<f64>> = corners
        .iter()
        .map(|&(x, y)| Coord { x: x / k, y })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), vec![])
}

/// Every area of the demo grid: districts, streets, communities, cells.
pub fn areas() -> Result<Vec<Area>, DemoError> {
    let districts: Vec<Area> = areas_from_geojson(DISTRICTS)?
        .into_iter()
        .map(|a| a.in_wgs84(Datum::Gcj02))
        .collect();
    let points: Streets = toml::from_str(STREETS)?;
    let origin = origin_of(&districts).expect("the demo has districts");
    let mut out = Vec::new();
    for d in &districts {
        let mine: Vec<&StreetPoint> = points
            .street
            .iter()
            .filter(|s| s.code.starts_with(&d.code))
            .collect();
        let k = mine.first().map_or(1.0, |s| s.at[0].to_radians().cos());
        for s in &mine {
            let mut shape: MultiPolygon<f64> = d.shape.clone();
            for other in mine.iter().filter(|o| o.code != s.code) {
                shape = shape.intersection(&nearer_half(s.at, other.at, k));
            }
            let street = Area {
                code: s.code.clone(),
                level: Level::Street,
                name: s.name.clone(),
                shape,
            };
            out.extend(street_grid(&street, origin));
            out.push(street);
        }
    }
    out.extend(districts);
    Ok(out)
}

/// Loads the demo grid unless the grid has areas already; answers how many
/// areas went in (0 if it was there).
pub async fn load(db: &Db) -> Result<usize, DemoError> {
    if !grid(db).await?.map.is_empty() {
        return Ok(0);
    }
    let areas = tokio::task::spawn_blocking(areas)
        .await
        .expect("building the demo grid does not panic")?;
    Ok(import_areas(db, &Context::system(), areas).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coords::Point;
    use crate::map::GridMap;

    #[test]
    fn the_demo_grid_covers_both_districts_with_cells_of_a_hectare() {
        let areas = areas().unwrap();
        let count = |l: Level| areas.iter().filter(|a| a.level == l).count();
        assert_eq!(count(Level::District), 2);
        assert_eq!(count(Level::Street), 32);
        // About 92 km² in cells of at most a hectare.
        let cells = count(Level::Cell);
        assert!((9_200..11_500).contains(&cells), "{cells} cells");
        let grid = GridMap::new(areas).unwrap();
        // Places everyone knows, in WGS 84.
        for (lat, lon, district) in [
            (39.9087, 116.3975, "110101"), // 天安门广场 (the flagpole's side)
            (39.9163, 116.3972, "110101"), // 故宫
            (39.9409, 116.3903, "110101"), // 南锣鼓巷西口一带
            (39.9152, 116.3597, "110102"), // 金融街
            (39.8826, 116.4066, "110101"), // 天坛
            (39.9363, 116.3790, "110102"), // 什刹海 / 后海
        ] {
            let p = grid
                .locate(Point { lat, lon })
                .unwrap_or_else(|| panic!("({lat}, {lon}) is outside"));
            assert_eq!(p.district, district, "({lat}, {lon})");
            assert!(p.cell.is_some(), "({lat}, {lon}) has no cell");
        }
        // 朝阳区's CBD lies outside.
        assert!(grid
            .locate(Point {
                lat: 39.9087,
                lon: 116.4605
            })
            .is_none());
    }
}
