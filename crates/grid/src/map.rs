//! The grid's layers: districts, streets (街道), communities (社区) and the
//! unit cells (单元网格) the work is counted in, each a polygon with a code
//! that names its parents (CJ/T 213: a cell's fifteen digits are the
//! district's six, the street's three, the community's two and its own
//! four). Every point resolves to its cell and, through the cell's code,
//! to the rest, through an R-tree of the polygons' bounding boxes.

use crate::coords::Point;
use geo::{BoundingRect, Contains, Coord, Intersects, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// How deep in the grid an area lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    District,
    Street,
    Community,
    Cell,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::District,
        Level::Street,
        Level::Community,
        Level::Cell,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Cell => "cell",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// How many digits its code has.
    pub fn code_len(self) -> usize {
        match self {
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 11,
            Level::Cell => 15,
        }
    }

    /// The level a code of this many digits names.
    pub fn of_code(code: &str) -> Option<Level> {
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Level::ALL.into_iter().find(|l| l.code_len() == code.len())
    }

    fn above(self) -> Option<Level> {
        match self {
            Level::District => None,
            Level::Street => Some(Level::District),
            Level::Community => Some(Level::Street),
            Level::Cell => Some(Level::Community),
        }
    }
}

/// One area of the grid.
#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub level: Level,
    pub name: String,
    pub shape: MultiPolygon<f64>,
}

impl Area {
    /// The area with its coordinates, given in `datum`, brought to WGS 84.
    pub fn in_wgs84(self, datum: crate::coords::Datum) -> Area {
        use geo::MapCoords;
        if datum == crate::coords::Datum::Wgs84 {
            return self;
        }
        let shape = self.shape.map_coords(|c| {
            let p = Point { lat: c.y, lon: c.x }.from_datum(datum);
            Coord { x: p.lon, y: p.lat }
        });
        Area { shape, ..self }
    }

    /// Its parent's code (a prefix of its own), if it has one.
    pub fn parent_code(&self) -> Option<&str> {
        self.level.above().map(|l| &self.code[..l.code_len()])
    }
}

/// Why a layer was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MapError {
    #[error("not GeoJSON: {0}")]
    NotGeoJson(String),
    #[error("feature {index}: {problem}")]
    Feature { index: usize, problem: String },
    #[error("area {code}: its parent {parent} is not in the grid")]
    Orphan { code: String, parent: String },
    #[error("area {0} is given twice")]
    Duplicate(String),
}

/// Where a point lies in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub district: String,
    pub street: Option<String>,
    pub community: Option<String>,
    pub cell: Option<String>,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The whole grid, indexed.
pub struct GridMap {
    areas: Vec<Area>,
    by_code: HashMap<String, usize>,
    /// Every area's bounding box, by level.
    index: HashMap<Level, RTree<Entry>>,
}

impl std::fmt::Debug for GridMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GridMap")
            .field("areas", &self.areas.len())
            .finish()
    }
}

fn xy(p: Point) -> Coord<f64> {
    Coord { x: p.lon, y: p.lat }
}

impl GridMap {
    /// The grid of these areas: every area's parent must be among them.
    pub fn new(mut areas: Vec<Area>) -> Result<GridMap, MapError> {
        areas.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
        let mut by_code = HashMap::with_capacity(areas.len());
        for (i, a) in areas.iter().enumerate() {
            if by_code.insert(a.code.clone(), i).is_some() {
                return Err(MapError::Duplicate(a.code.clone()));
            }
            if let Some(parent) = a.parent_code() {
                if !by_code.contains_key(parent) {
                    return Err(MapError::Orphan {
                        code: a.code.clone(),
                        parent: parent.to_owned(),
                    });
                }
            }
        }
        let mut entries: HashMap<Level, Vec<Entry>> = HashMap::new();
        for (i, a) in areas.iter().enumerate() {
            if let Some(r) = a.shape.bounding_rect() {
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                entries
                    .entry(a.level)
                    .or_default()
                    .push(GeomWithData::new(rect, i));
            }
        }
        let index = entries
            .into_iter()
            .map(|(level, e)| (level, RTree::bulk_load(e)))
            .collect();
        Ok(GridMap {
            areas,
            by_code,
            index,
        })
    }

    /// The grid with no areas in it: every point lies outside.
    pub fn empty() -> GridMap {
        GridMap::new(Vec::new()).expect("no areas, no orphans")
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code).map(|&i| &self.areas[i])
    }

    /// The areas of one level, by code.
    pub fn areas(&self, level: Level) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(move |a| a.level == level)
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The area of `level` that holds `p` (on a shared edge, the one with
    /// the lower code).
    pub fn find(&self, level: Level, p: Point) -> Option<&Area> {
        let tree = self.index.get(&level)?;
        let at = AABB::from_point([p.lon, p.lat]);
        let c = xy(p);
        let mut hits: Vec<&Area> = tree
            .locate_in_envelope_intersecting(&at)
            .map(|e| &self.areas[e.data])
            .filter(|a| a.shape.intersects(&c))
            .collect();
        hits.sort_by(|a, b| a.code.cmp(&b.code));
        hits.into_iter().next()
    }

    /// Where `p` lies: its cell, and through the cell's code its community,
    /// street and district; where no cell covers it, the finest area that
    /// does. `None` outside every district.
    pub fn locate(&self, p: Point) -> Option<Placement> {
        let finest = Level::ALL
            .into_iter()
            .rev()
            .find_map(|level| self.find(level, p))?;
        let code = |level: Level| {
            (finest.level >= level).then(|| finest.code[..level.code_len()].to_owned())
        };
        Some(Placement {
            district: code(Level::District)?,
            street: code(Level::Street),
            community: code(Level::Community),
            cell: code(Level::Cell),
        })
    }

    /// A point inside the area (its centroid when that lies inside, else a
    /// point of its boundary's interior side): where a report naming only
    /// the cell is put.
    pub fn inside_point(&self, code: &str) -> Option<Point> {
        use geo::{Centroid, InteriorPoint};
        let a = self.area(code)?;
        let c = a
            .shape
            .centroid()
            .filter(|c| a.shape.contains(c))
            .or_else(|| a.shape.interior_point())?;
        Some(Point {
            lat: c.y(),
            lon: c.x(),
        })
    }

    /// The areas of `level` (all of them if `None`) as a GeoJSON
    /// FeatureCollection in WGS 84.
    pub fn to_geojson(&self, level: Option<Level>) -> Value {
        let features: Vec<Value> = self
            .areas
            .iter()
            .filter(|a| level.is_none_or(|l| a.level == l))
            .map(|a| {
                json!({
                    "type": "Feature",
                    "properties": {"code": a.code, "level": a.level.as_str(), "name": a.name},
                    "geometry": geometry_json(&a.shape),
                })
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }
}

fn ring_json(ring: &LineString<f64>) -> Value {
    Value::Array(
        ring.0
            .iter()
            .map(|c| json!([round7(c.x), round7(c.y)]))
            .collect(),
    )
}

/// Seven decimals is a centimetre: all a boundary needs.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A shape as a GeoJSON geometry (a Polygon when it is one).
pub fn geometry_json(shape: &MultiPolygon<f64>) -> Value {
    let polygon = |p: &Polygon<f64>| {
        let mut rings = vec![ring_json(p.exterior())];
        rings.extend(p.interiors().iter().map(ring_json));
        Value::Array(rings)
    };
    if shape.0.len() == 1 {
        json!({"type": "Polygon", "coordinates": polygon(&shape.0[0])})
    } else {
        json!({"type": "MultiPolygon", "coordinates": shape.0.iter().map(polygon).collect::<Vec<_>>()})
    }
}

/// Reads a GeoJSON geometry (Polygon or MultiPolygon, WGS 84 longitude
/// first) into a shape.
pub fn geometry_from_json(g: &Value) -> Result<MultiPolygon<f64>, String> {
    let kind = g.get("type").and_then(Value::as_str).unwrap_or_default();
    let coords = g
        .get("coordinates")
        .ok_or("a geometry without coordinates")?;
    let polygons = match kind {
        "Polygon" => vec![polygon_from_json(coords)?],
        "MultiPolygon" => coords
            .as_array()
            .ok_or("MultiPolygon coordinates must be a list")?
            .iter()
            .map(polygon_from_json)
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "geometry type '{other}': only Polygon and MultiPolygon are areas"
            ))
        }
    };
    Ok(MultiPolygon(polygons))
}

fn polygon_from_json(rings: &Value) -> Result<Polygon<f64>, String> {
    let rings = rings.as_array().ok_or("polygon rings must be a list")?;
    let mut read = rings.iter().map(|ring| {
        let points = ring
            .as_array()
            .ok_or("a ring must be a list of positions")?;
        if points.len() < 4 {
            return Err("a ring needs at least four positions".to_owned());
        }
        points
            .iter()
            .map(|p| {
                let lon = p.get(0).and_then(Value::as_f64);
                let lat = p.get(1).and_then(Value::as_f64);
                match (lon, lat) {
                    (Some(lon), Some(lat)) => {
                        Point::new(lat, lon).map(xy).map_err(|e| e.to_owned())
                    }
                    _ => Err("a position is [longitude, latitude]".to_owned()),
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    });
    let exterior = read.next().ok_or("a polygon needs a ring")??;
    let interiors = read.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

/// Reads areas from a GeoJSON FeatureCollection whose features carry
/// `code` (6, 9, 11 or 15 digits, which gives the level) and `name`.
pub fn areas_from_geojson(text: &str) -> Result<Vec<Area>, MapError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| MapError::NotGeoJson(e.to_string()))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| MapError::NotGeoJson("a FeatureCollection has a list of features".into()))?;
    features
        .iter()
        .enumerate()
        .map(|(index, f)| {
            let bad = |problem: String| MapError::Feature { index, problem };
            let empty = Map::new();
            let props = f
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::trim);
            let code = text("code").ok_or_else(|| bad("no code".into()))?;
            let level = Level::of_code(code)
                .ok_or_else(|| bad(format!("code '{code}' is not 6, 9, 11 or 15 digits")))?;
            let name = text("name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("no name".into()))?;
            let shape =
                geometry_from_json(f.get("geometry").unwrap_or(&Value::Null)).map_err(bad)?;
            Ok(Area {
                code: code.to_owned(),
                level,
                name: name.to_owned(),
                shape,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Rect;

    fn square(code: &str, name: &str, (x0, y0): (f64, f64), side: f64) -> Area {
        let rect = Rect::new(
            Coord { x: x0, y: y0 },
            Coord {
                x: x0 + side,
                y: y0 + side,
            },
        );
        Area {
            code: code.into(),
            level: Level::of_code(code).unwrap(),
            name: name.into(),
            shape: MultiPolygon(vec![rect.to_polygon()]),
        }
    }

    fn small_grid() -> GridMap {
        GridMap::new(vec![
            square("110101", "东城区", (116.0, 39.0), 1.0),
            square("110101001", "东华门街道", (116.0, 39.0), 0.5),
            square("11010100101", "多福巷社区", (116.0, 39.0), 0.25),
            square("110101001010001", "cell", (116.0, 39.0), 0.1),
        ])
        .unwrap()
    }

    #[test]
    fn a_point_resolves_through_its_cell() {
        let grid = small_grid();
        let p = grid
            .locate(Point {
                lat: 39.05,
                lon: 116.05,
            })
            .unwrap();
        assert_eq!(p.cell.as_deref(), Some("110101001010001"));
        assert_eq!(p.community.as_deref(), Some("11010100101"));
        assert_eq!(p.street.as_deref(), Some("110101001"));
        assert_eq!(p.district, "110101");
    }

    #[test]
    fn without_a_cell_the_finest_area_answers() {
        let grid = small_grid();
        let p = grid
            .locate(Point {
                lat: 39.4,
                lon: 116.4,
            })
            .unwrap();
        assert_eq!((p.street.as_deref(), p.cell), (Some("110101001"), None));
        let p = grid
            .locate(Point {
                lat: 39.9,
                lon: 116.9,
            })
            .unwrap();
        assert_eq!((p.district.as_str(), p.street), ("110101", None));
        assert!(grid
            .locate(Point {
                lat: 40.5,
                lon: 116.5
            })
            .is_none());
    }

    #[test]
    fn an_area_whose_parent_is_missing_is_refused() {
        let err = GridMap::new(vec![square("110101001", "x", (0.0, 0.0), 1.0)]).unwrap_err();
        assert!(matches!(err, MapError::Orphan { .. }));
    }

    #[test]
    fn geojson_goes_out_and_comes_back() {
        let grid = small_grid();
        let out = grid.to_geojson(None).to_string();
        let back = GridMap::new(areas_from_geojson(&out).unwrap()).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back.area("110101").unwrap().name, "东城区");
        let err = areas_from_geojson(r#"{"type":"FeatureCollection","features":[{"properties":{"code":"12","name":"x"},"geometry":null}]}"#).unwrap_err();
        assert!(matches!(err, MapError::Feature { index: 0, .. }), "{err}");
    }

    #[test]
    fn a_cell_names_a_point_inside_it() {
        let grid = small_grid();
        let p = grid.inside_point("110101001010001").unwrap();
        assert_eq!(
            grid.locate(p).unwrap().cell.as_deref(),
            Some("110101001010001")
        );
    }
}
