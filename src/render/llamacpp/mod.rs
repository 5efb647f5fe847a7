//! TEMPORARY until branch llamacpp is merged.
use super::{OutputTree, RenderContext, RenderError};
/// x
pub fn render(_: &RenderContext, _: &mut OutputTree) -> Result<(), RenderError> {
    Ok(())
}
