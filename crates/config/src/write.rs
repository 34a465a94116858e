//! `Settings` back to config text, modern keys only, one `key = value` per line, in the key
//! table's order: each definition writes its own settings through a `Writer`. Reading the
//! text back gives equal settings (origins aside) for anything the parser produced.

use crate::model::Settings;
use crate::table::Table;
use crate::writer::Writer;

pub(crate) fn write_settings(settings: &Settings) -> String {
    let mut w = Writer::new();
    for def in Table::new().all() {
        w.start(def.name, def.family.is_some());
        (def.write)(settings, &mut w);
    }
    w.finish()
}
