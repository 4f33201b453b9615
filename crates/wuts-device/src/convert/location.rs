//! Locations: a static point, or one point of a live location.

use super::{Built, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveLocation {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_in_meters: Option<u32>,
    pub speed_in_mps: Option<f32>,
    pub degrees_clockwise_from_magnetic_north: Option<u32>,
    pub caption: Option<String>,
    pub sequence_number: Option<i64>,
    pub time_offset: Option<u32>,
}

pub fn build(l: Location) -> Built {
    Built(wa::Message {
        location_message: wa::message::LocationMessage {
            degrees_latitude: Some(l.latitude),
            degrees_longitude: Some(l.longitude),
            name: l.name,
            address: l.address,
            url: l.url,
            comment: l.comment,
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

pub fn build_live(l: LiveLocation) -> Built {
    Built(wa::Message {
        live_location_message: wa::message::LiveLocationMessage {
            degrees_latitude: Some(l.latitude),
            degrees_longitude: Some(l.longitude),
            accuracy_in_meters: l.accuracy_in_meters,
            speed_in_mps: l.speed_in_mps,
            degrees_clockwise_from_magnetic_north: l.degrees_clockwise_from_magnetic_north,
            caption: l.caption,
            sequence_number: l.sequence_number,
            time_offset: l.time_offset,
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    if let Some(l) = m.location_message.as_option() {
        return Some(Kind::new(
            "location",
            l.name.clone(),
            json!({"location": {"latitude": l.degrees_latitude, "longitude": l.degrees_longitude,
                "name": l.name, "address": l.address, "url": l.url, "comment": l.comment}}),
        ));
    }
    let l = m.live_location_message.as_option()?;
    Some(Kind::new(
        "live_location",
        l.caption.clone(),
        json!({"location": {"latitude": l.degrees_latitude, "longitude": l.degrees_longitude,
            "live": true, "accuracy_in_meters": l.accuracy_in_meters,
            "speed_in_mps": l.speed_in_mps, "sequence_number": l.sequence_number}}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = build(Location {
            latitude: -23.5,
            longitude: -46.6,
            name: Some("Sé".into()),
            ..Default::default()
        })
        .read();
        assert_eq!(k.message_type, "location");
        assert_eq!(k.content.as_deref(), Some("Sé"));
        assert_eq!(k.fields["location"]["latitude"], json!(-23.5));
        assert_eq!(k.fields["location"]["name"], json!("Sé"));
        let k = build_live(LiveLocation {
            latitude: 1.0,
            longitude: 2.0,
            sequence_number: Some(7),
            caption: Some("on my way".into()),
            ..Default::default()
        })
        .read();
        assert_eq!(k.message_type, "live_location");
        assert_eq!(k.fields["location"]["live"], json!(true));
        assert_eq!(k.fields["location"]["sequence_number"], json!(7));
    }
}
