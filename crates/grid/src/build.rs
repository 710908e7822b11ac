//! Laying a grid over streets: unit cells of about 100 m a side (the
//! Dongcheng model's 10,000 m²), grouped into blocks of 500 m that stand
//! for communities, each clipped to the street it lies in so the levels
//! nest exactly. For a city without its own survey of cells and community
//! boundaries (the demo); a city that has them imports them instead.

use crate::map::{Area, Level};
use geo::{Area as _, BooleanOps, BoundingRect, Coord, Intersects, MultiPolygon, Rect};

/// Metres in a degree of latitude (and of longitude at the equator).
const METRES_A_DEGREE: f64 = 111_320.0;

/// A cell's side, metres.
pub const CELL_M: f64 = 100.0;
/// How many cells a community block is across.
pub const BLOCK_CELLS: usize = 5;

/// Pieces smaller than this (square metres) are slivers of clipping, not cells.
const SLIVER_M2: f64 = 25.0;

/// Square metres of a shape given in degrees, near `lat`.
fn square_metres(shape: &MultiPolygon<f64>, lat: f64) -> f64 {
    shape.unsigned_area() * METRES_A_DEGREE * METRES_A_DEGREE * lat.to_radians().cos()
}

/// The communities and cells of one street: blocks of the lattice that
/// starts at (`origin_lon`, `origin_lat`), clipped to the street.
pub fn street_grid(street: &Area, origin: Coord<f64>) -> Vec<Area> {
    debug_assert_eq!(street.level, Level::Street);
    let Some(bounds) = street.shape.bounding_rect() else {
        return Vec::new();
    };
    let lat0 = (bounds.min().y + bounds.max().y) / 2.0;
    let dlat = CELL_M / METRES_A_DEGREE;
    let dlon = CELL_M / (METRES_A_DEGREE * lat0.to_radians().cos());
    let (bl_lat, bl_lon) = (dlat * BLOCK_CELLS as f64, dlon * BLOCK_CELLS as f64);
    // Whole blocks of the city-wide lattice that touch the street.
    let first = |min: f64, o: f64, step: f64| ((min - o) / step).floor() as i64;
    let (r0, r1) = (
        first(bounds.min().y, origin.y, bl_lat),
        first(bounds.max().y, origin.y, bl_lat),
    );
    let (c0, c1) = (
        first(bounds.min().x, origin.x, bl_lon),
        first(bounds.max().x, origin.x, bl_lon),
    );
    let mut out = Vec::new();
    let mut community_no = 0;
    // North to south, west to east: numbers read like a page.
    for row in (r0..=r1).rev() {
        for col in c0..=c1 {
            let south = origin.y + row as f64 * bl_lat;
            let west = origin.x + col as f64 * bl_lon;
            let block = Rect::new(
                Coord { x: west, y: south },
                Coord {
                    x: west + bl_lon,
                    y: south + bl_lat,
                },
            );
            if !street.shape.intersects(&block) {
                continue;
            }
            let community_shape = street.shape.intersection(&block.to_polygon());
            if square_metres(&community_shape, lat0) < SLIVER_M2 * 4.0 {
                continue;
            }
            community_no += 1;
            if community_no > 99 {
                // Two digits of community code: a street this large would
                // need bigger blocks; leave the rest uncovered rather than
                // make codes that do not nest.
                tracing::warn!(street = %street.code, "more than 99 blocks: the rest are left out");
                return out;
            }
            let community_code = format!("{}{:02}", street.code, community_no);
            let mut cells = Vec::new();
            for i in (0..BLOCK_CELLS).rev() {
                for j in 0..BLOCK_CELLS {
                    let s = south + i as f64 * dlat;
                    let w = west + j as f64 * dlon;
                    let square = Rect::new(
                        Coord { x: w, y: s },
                        Coord {
                            x: w + dlon,
                            y: s + dlat,
                        },
                    );
                    if !community_shape.intersects(&square) {
                        continue;
                    }
                    let piece = community_shape.intersection(&square.to_polygon());
                    if square_metres(&piece, lat0) < SLIVER_M2 {
                        continue;
                    }
                    cells.push(piece);
                }
            }
            out.push(Area {
                code: community_code.clone(),
                level: Level::Community,
                name: format!("{}第{}网格责任区", street.name, community_no),
                shape: community_shape,
            });
            for (k, shape) in cells.into_iter().enumerate() {
                out.push(Area {
                    code: format!("{community_code}{:04}", k + 1),
                    level: Level::Cell,
                    name: format!(
                        "{}第{}网格责任区 {:02}号单元网格",
                        street.name,
                        community_no,
                        k + 1
                    ),
                    shape,
                });
            }
        }
    }
    out
}

/// The lattice's origin for a city: the south-west corner of everything,
/// so every street's blocks line up.
pub fn origin_of(areas: &[Area]) -> Option<Coord<f64>> {
    let mut it = areas.iter().filter_map(|a| a.shape.bounding_rect());
    let first = it.next()?;
    let (mut x, mut y) = (first.min().x, first.min().y);
    for r in it {
        x = x.min(r.min().x);
        y = y.min(r.min().y);
    }
    Some(Coord { x, y })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coords::Point;
    use crate::map::GridMap;
    use geo::{LineString, Polygon};

    /// A street shaped like an L, about 1.2 km by 1 km.
    fn street() -> Area {
        let ring = LineString::from(vec![
            (116.40, 39.90),
            (116.414, 39.90),
            (116.414, 39.905),
            (116.407, 39.905),
            (116.407, 39.909),
            (116.40, 39.909),
            (116.40, 39.90),
        ]);
        Area {
            code: "110101001".into(),
            level: Level::Street,
            name: "试验街道".into(),
            shape: MultiPolygon(vec![Polygon::new(ring, vec![])]),
        }
    }

    #[test]
    fn cells_cover_the_street_and_nest_in_communities() {
        let s = street();
        let areas = street_grid(
            &s,
            Coord {
                x: 116.39,
                y: 39.89,
            },
        );
        let cells: Vec<&Area> = areas.iter().filter(|a| a.level == Level::Cell).collect();
        let communities = areas.iter().filter(|a| a.level == Level::Community).count();
        let street_m2 = square_metres(&s.shape, 39.9);
        let cell_m2: f64 = cells.iter().map(|c| square_metres(&c.shape, 39.9)).sum();
        // Slivers aside, the cells add up to the street.
        assert!(
            (cell_m2 - street_m2).abs() / street_m2 < 0.01,
            "{cell_m2} vs {street_m2}"
        );
        assert!(cells.len() > 90 && cells.len() < 140, "{}", cells.len());
        assert!(communities >= 4, "{communities}");
        for c in &cells {
            assert_eq!(c.code.len(), 15);
            assert!(c.code.starts_with("110101001"));
            assert!(square_metres(&c.shape, 39.9) <= CELL_M * CELL_M * 1.01);
        }
        // Every point of the street finds its cell.
        let mut all = vec![Area {
            code: "110101".into(),
            level: Level::District,
            name: "区".into(),
            shape: s.shape.clone(),
        }];
        all.push(s);
        all.extend(areas);
        let grid = GridMap::new(all).unwrap();
        for (lat, lon) in [
            (39.9001, 116.4001),
            (39.9049, 116.4139),
            (39.9089, 116.4069),
            (39.903, 116.405),
        ] {
            let p = grid.locate(Point { lat, lon }).unwrap();
            assert!(p.cell.is_some(), "({lat}, {lon}) has no cell");
        }
        assert!(
            grid.locate(Point {
                lat: 39.908,
                lon: 116.41
            })
            .is_none(),
            "outside the L"
        );
    }
}
