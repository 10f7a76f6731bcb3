//! Which Unicode version decides what the PRECIS string classes allow.
//!
//! `precis-core` carries the derived property values that IANA registers
//! (RFC 8264 §11.1), which are those of Unicode 6.3: a code point assigned
//! since then is UNASSIGNED there (RFC 8264 §9.10), and every profile refuses
//! it. RFC 8264 makes the framework follow new Unicode versions instead: the
//! value of a code point comes from its Unicode properties through the
//! algorithm of §8 and the categories of §9, whatever the version. Servers
//! do that (an emoji from Unicode 11 in a MUC nickname is routed), so an
//! address received from them can hold code points Unicode 6.3 lacks.
//!
//! [`Versioned`] evaluates a string class either way: with the registered
//! values only, or with the registered values for every code point Unicode
//! 6.3 assigns and, for the others, the value §8 derives from the Unicode
//! data of this build (`icu_properties`, `icu_normalizer`).

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{
    DefaultIgnorableCodePoint, GeneralCategory, HangulSyllableType, JoinControl,
    NoncharacterCodePoint,
};
use icu_properties::{CodePointMapData, CodePointSetData};
use precis_profiles::precis_core::stringclasses::SpecificDerivedPropertyValue;
use precis_profiles::precis_core::{DerivedPropertyValue, StringClass};

/// The Unicode version the derived property of a code point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnicodeVersion {
    /// Unicode 6.3, as IANA registers the values (RFC 8264 §11.1): what
    /// every PRECIS implementation accepts, for what stanzio prepares.
    Registered,
    /// The registered value for every code point Unicode 6.3 assigns; for
    /// the others, the value RFC 8264 §8 derives from this build's Unicode
    /// data. For addresses received from a server.
    Current,
}

/// A PRECIS string class evaluated at a [`UnicodeVersion`].
pub(crate) struct Versioned<C> {
    /// `IdentifierClass` or `FreeformClass`.
    pub(crate) class: C,
    /// Which values decide.
    pub(crate) version: UnicodeVersion,
}

impl<C: StringClass + SpecificDerivedPropertyValue> StringClass for Versioned<C> {
    fn get_value_from_char(&self, c: char) -> DerivedPropertyValue {
        match (self.class.get_value_from_char(c), self.version) {
            (DerivedPropertyValue::Unassigned, UnicodeVersion::Current) => {
                derived_property(&Properties::of(c), &self.class)
            }
            (registered, _) => registered,
        }
    }

    fn get_value_from_codepoint(&self, cp: u32) -> DerivedPropertyValue {
        match char::from_u32(cp) {
            Some(c) => self.get_value_from_char(c),
            // A surrogate: no Unicode version assigns it as a character.
            None => self.class.get_value_from_codepoint(cp),
        }
    }
}

/// What RFC 8264 §9 reads of one code point, from this build's Unicode data.
#[derive(Debug, Clone, Copy)]
struct Properties {
    category: GeneralCategory,
    noncharacter: bool,
    join_control: bool,
    /// Hangul_Syllable_Type L, V or T (§9.9 OldHangulJamo).
    old_hangul_jamo: bool,
    default_ignorable: bool,
    /// NFKC maps the code point to something else (§9.17 HasCompat).
    has_compat: bool,
}

impl Properties {
    fn of(c: char) -> Self {
        let mut utf8 = [0; 4];
        Properties {
            category: CodePointMapData::<GeneralCategory>::new().get(c),
            noncharacter: CodePointSetData::new::<NoncharacterCodePoint>().contains(c),
            join_control: CodePointSetData::new::<JoinControl>().contains(c),
            old_hangul_jamo: matches!(
                CodePointMapData::<HangulSyllableType>::new().get(c),
                HangulSyllableType::LeadingJamo
                    | HangulSyllableType::VowelJamo
                    | HangulSyllableType::TrailingJamo
            ),
            default_ignorable: CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c),
            has_compat: !ComposingNormalizerBorrowed::new_nfkc()
                .is_normalized(c.encode_utf8(&mut utf8)),
        }
    }
}

/// RFC 8264 §8 for a code point that Unicode 6.3 leaves unassigned. The
/// first steps cannot apply to it: Exceptions (§9.6) and ASCII7 (§9.11)
/// list code points Unicode 6.3 assigns, and BackwardCompatible (§9.7) is
/// empty. So the algorithm starts at Unassigned (§9.10), in the order §8
/// fixes.
fn derived_property(
    code_point: &Properties,
    class: &impl SpecificDerivedPropertyValue,
) -> DerivedPropertyValue {
    use GeneralCategory as Gc;
    let category = code_point.category;
    if category == Gc::Unassigned && !code_point.noncharacter {
        // §9.10: unassigned in this version too.
        DerivedPropertyValue::Unassigned
    } else if code_point.join_control {
        DerivedPropertyValue::ContextJ
    } else if code_point.old_hangul_jamo
        // §9.13 PrecisIgnorableProperties.
        || code_point.default_ignorable
        || code_point.noncharacter
        // §9.12 Controls.
        || category == Gc::Control
    {
        DerivedPropertyValue::Disallowed
    } else if code_point.has_compat {
        class.on_has_compat()
    } else {
        match category {
            // §9.1 LetterDigits.
            Gc::LowercaseLetter
            | Gc::UppercaseLetter
            | Gc::OtherLetter
            | Gc::DecimalNumber
            | Gc::ModifierLetter
            | Gc::NonspacingMark
            | Gc::SpacingMark => DerivedPropertyValue::PValid,
            // §9.18 OtherLetterDigits.
            Gc::TitlecaseLetter | Gc::LetterNumber | Gc::OtherNumber | Gc::EnclosingMark => {
                class.on_other_letter_digits()
            }
            // §9.14 Spaces.
            Gc::SpaceSeparator => class.on_spaces(),
            // §9.15 Symbols.
            Gc::MathSymbol | Gc::CurrencySymbol | Gc::ModifierSymbol | Gc::OtherSymbol => {
                class.on_symbols()
            }
            // §9.16 Punctuation.
            Gc::ConnectorPunctuation
            | Gc::DashPunctuation
            | Gc::OpenPunctuation
            | Gc::ClosePunctuation
            | Gc::InitialPunctuation
            | Gc::FinalPunctuation
            | Gc::OtherPunctuation => class.on_punctuation(),
            // Format, private use, surrogates, line and paragraph separators.
            _ => DerivedPropertyValue::Disallowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use precis_profiles::precis_core::{FreeformClass, IdentifierClass};

    fn freeform(version: UnicodeVersion) -> Versioned<FreeformClass> {
        Versioned {
            class: FreeformClass::default(),
            version,
        }
    }

    fn identifier(version: UnicodeVersion) -> Versioned<IdentifierClass> {
        Versioned {
            class: IdentifierClass::default(),
            version,
        }
    }

    /// The values §8 gives each general category in the FreeformClass and
    /// the IdentifierClass, when no other property intervenes.
    #[test]
    fn every_general_category_gets_the_value_of_section_8() {
        use DerivedPropertyValue::{Disallowed, PValid, SpecClassDis, SpecClassPval};
        use GeneralCategory as Gc;
        let class_dependent = (SpecClassPval, SpecClassDis);
        let table = [
            (Gc::LowercaseLetter, (PValid, PValid)),
            (Gc::UppercaseLetter, (PValid, PValid)),
            (Gc::OtherLetter, (PValid, PValid)),
            (Gc::DecimalNumber, (PValid, PValid)),
            (Gc::ModifierLetter, (PValid, PValid)),
            (Gc::NonspacingMark, (PValid, PValid)),
            (Gc::SpacingMark, (PValid, PValid)),
            (Gc::TitlecaseLetter, class_dependent),
            (Gc::LetterNumber, class_dependent),
            (Gc::OtherNumber, class_dependent),
            (Gc::EnclosingMark, class_dependent),
            (Gc::SpaceSeparator, class_dependent),
            (Gc::MathSymbol, class_dependent),
            (Gc::CurrencySymbol, class_dependent),
            (Gc::ModifierSymbol, class_dependent),
            (Gc::OtherSymbol, class_dependent),
            (Gc::ConnectorPunctuation, class_dependent),
            (Gc::DashPunctuation, class_dependent),
            (Gc::OpenPunctuation, class_dependent),
            (Gc::ClosePunctuation, class_dependent),
            (Gc::InitialPunctuation, class_dependent),
            (Gc::FinalPunctuation, class_dependent),
            (Gc::OtherPunctuation, class_dependent),
            (Gc::Control, (Disallowed, Disallowed)),
            (Gc::Format, (Disallowed, Disallowed)),
            (Gc::PrivateUse, (Disallowed, Disallowed)),
            (Gc::Surrogate, (Disallowed, Disallowed)),
            (Gc::LineSeparator, (Disallowed, Disallowed)),
            (Gc::ParagraphSeparator, (Disallowed, Disallowed)),
            (
                Gc::Unassigned,
                (
                    DerivedPropertyValue::Unassigned,
                    DerivedPropertyValue::Unassigned,
                ),
            ),
        ];
        for (category, (freeform, identifier)) in table {
            let code_point = plain(category);
            assert_eq!(
                derived_property(&code_point, &FreeformClass::default()),
                freeform,
                "{category:?}"
            );
            assert_eq!(
                derived_property(&code_point, &IdentifierClass::default()),
                identifier,
                "{category:?}"
            );
        }
    }

    /// A code point of `category` with no other property §9 reads.
    fn plain(category: GeneralCategory) -> Properties {
        Properties {
            category,
            noncharacter: false,
            join_control: false,
            old_hangul_jamo: false,
            default_ignorable: false,
            has_compat: false,
        }
    }

    #[test]
    fn the_other_properties_come_first_in_the_order_of_section_8() {
        use DerivedPropertyValue as V;
        let letter = plain(GeneralCategory::LowercaseLetter);
        let table = [
            // A noncharacter is Cn but not unassigned (§9.10).
            (
                Properties {
                    category: GeneralCategory::Unassigned,
                    noncharacter: true,
                    ..letter
                },
                V::Disallowed,
            ),
            (
                Properties {
                    join_control: true,
                    ..plain(GeneralCategory::Format)
                },
                V::ContextJ,
            ),
            (
                Properties {
                    old_hangul_jamo: true,
                    ..plain(GeneralCategory::OtherLetter)
                },
                V::Disallowed,
            ),
            (
                Properties {
                    default_ignorable: true,
                    ..plain(GeneralCategory::NonspacingMark)
                },
                V::Disallowed,
            ),
            (
                Properties {
                    has_compat: true,
                    ..letter
                },
                V::SpecClassPval,
            ),
        ];
        for (code_point, freeform) in table {
            assert_eq!(
                derived_property(&code_point, &FreeformClass::default()),
                freeform,
                "{code_point:?}"
            );
        }
        let compat = Properties {
            has_compat: true,
            ..letter
        };
        assert_eq!(
            derived_property(&compat, &IdentifierClass::default()),
            V::SpecClassDis
        );
    }

    #[test]
    fn code_points_unicode_6_3_assigns_keep_their_registered_value() {
        // One of each kind of value, in both classes: the current version
        // changes nothing that Unicode 6.3 already decided.
        for c in [
            'a', '\u{265a}', '\u{2163}', '\u{200d}', '\u{b7}', '\u{0}', '\u{ad}',
        ] {
            for version in [UnicodeVersion::Registered, UnicodeVersion::Current] {
                assert_eq!(
                    freeform(version).get_value_from_char(c),
                    FreeformClass::default().get_value_from_char(c),
                    "{c:?}"
                );
                assert_eq!(
                    identifier(version).get_value_from_char(c),
                    IdentifierClass::default().get_value_from_char(c),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn code_points_assigned_since_unicode_6_3_are_derived_by_section_8() {
        use DerivedPropertyValue as V;
        let table = [
            // FACE WITH PLEADING EYES (Unicode 11), So: Symbols (§9.15).
            ('\u{1f97a}', V::SpecClassPval, V::SpecClassDis),
            // CHEROKEE SMALL LETTER A (Unicode 8), Ll: LetterDigits (§9.1).
            ('\u{ab70}', V::PValid, V::PValid),
            // ADLAM DIGIT ZERO (Unicode 9), Nd: LetterDigits.
            ('\u{1e950}', V::PValid, V::PValid),
            // LATIN CAPITAL LETTER SMALL CAPITAL I (Unicode 9), Lu.
            ('\u{a7ae}', V::PValid, V::PValid),
            // INDIC SIYAQ NUMBER ONE (Unicode 11), No: OtherLetterDigits (§9.18).
            ('\u{1ec71}', V::SpecClassPval, V::SpecClassDis),
            // LARI SIGN (Unicode 8), Sc: Symbols.
            ('\u{20be}', V::SpecClassPval, V::SpecClassDis),
            // MODIFIER LETTER CAPITAL C (Unicode 14) is a superscript C:
            // HasCompat (§9.17).
            ('\u{a7f2}', V::SpecClassPval, V::SpecClassDis),
            // MONGOLIAN FREE VARIATION SELECTOR FOUR (Unicode 14) is a
            // default ignorable (§9.13).
            ('\u{180f}', V::Disallowed, V::Disallowed),
            // Unassigned in every Unicode version so far (plane 3 end).
            ('\u{3fffd}', V::Unassigned, V::Unassigned),
        ];
        for (c, freeform_value, identifier_value) in table {
            assert_eq!(
                FreeformClass::default().get_value_from_char(c),
                V::Unassigned,
                "{c:?} is unassigned in Unicode 6.3"
            );
            assert_eq!(
                freeform(UnicodeVersion::Registered).get_value_from_char(c),
                V::Unassigned,
                "{c:?}"
            );
            assert_eq!(
                freeform(UnicodeVersion::Current).get_value_from_char(c),
                freeform_value,
                "{c:?}"
            );
            assert_eq!(
                identifier(UnicodeVersion::Current).get_value_from_char(c),
                identifier_value,
                "{c:?}"
            );
        }
    }
}
