//! moto-harness's integration tests, one binary (as ripgrep lays them out): the stand-in in front
//! of moto, and moto's token format.

mod stand_in;
mod tokens;
