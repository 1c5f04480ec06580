// Entry point for the offline engine's launcher: the pack itself is ../index.ts.
import "../index";
