"""Forms: XLSForm → XForm with pyxform, published versions, media attachments, states."""
