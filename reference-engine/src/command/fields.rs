//! The FIELDS numfields field... block shared by the field-expiration commands (being written).
