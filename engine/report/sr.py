"""DICOM SR, TID 1500 Measurement Report, of the findings of one analysed image (highdicom).

Per finding, one Planar ROI measurement group (TID 1411):
- the outline as an image region: SCOORD POLYLINE, closed (last point = first), in the
  DICOM image coordinates (column, row) where the centre of the top-left pixel is
  (0.5, 0.5), so a contour point at pixel centre (r, c) is written as (c + 0.5, r + 0.5);
  a multi-frame source is referenced with the analysed frame number;
- long axis, short axis and area: mm and mm² when the image is calibrated, else pixels
  (UCUM annotations "{pixel}" / "{pixel^2}", which are dimensionless), never a
  pixel count presented as a physical size;
- a qualitative evaluation (CODE) of the lesion class: SNOMED CT "Benign"/"Malignant" for
  those class names, a local code (coding scheme 99LESIONLENS) for any other class;
- for models with lexicon descriptors (engine.descriptors: BI-RADS, TI-RADS, lymph node),
  one CODE qualitative evaluation per descriptor with a value, whatever the template: BI-RADS
  concept names Shape (SCT), Orientation, Margins, Echo pattern, Posterior acoustic features
  (DCM); TI-RADS Echogenicity (DCM), Shape, Margins and local Composition / Echogenic foci
  (one evaluation per kind of focus); node Shape, Margins, Vascularity (DCM) and local
  Hilum / Cortex; values coded in DCM/SNOMED/RadLex or 99LESIONLENS
  (engine.descriptors.codes); and the proposed category (DCM 111005 "Assessment Category",
  value a local 99LESIONLENS code: no standard code has ultrasound BI-RADS 4A-4C or TI-RADS
  TR1-TR5) with a local "Assessment category status" saying it is the AI's proposal or the
  reader's; a descriptor the image could not tell, or a reader's free-text term, is left out;
- the model's probability of malignancy, when the model has a "malignant" class, as
  DCM 111047 "Probability of cancer" in percent, and the TTA spread of the class
  probability as a local measurement, both attributed to the model (TID 4019).
One image-level group (TID 1501) carries the model's own result (lesion present or absent
with its probability; class, probability of malignancy and spread when there is a lesion;
number of lesions; the scope check: in scope, withheld as out of scope, or run on demand,
with the scope score), so an image without lesions, or withheld, still has a report.
Reader decisions: each lesion says where its outline came from (AI segmentation, corrected
by the reader, or drawn by the reader); a class the reader set is "Lesion class (reader)";
a reader-drawn lesion's group has no algorithm and no AI probability. The reader's calipers
follow as planar ROI groups with a Length each (TID 1410), "Measurement source: drawn by
the reader"; so do their ellipses (SCOORD ELLIPSE, Area SCT 42798000 and Perimeter SCT
131191004), traces (closed POLYLINE, Area and Perimeter) and angles (open three-point
POLYLINE, Angle SCT 1483009 in UCUM "deg"), in mm / mm2 where calibrated, else pixels.
The observer context names the software (device) and, unless de-identifying, the reviewer.
"""

from __future__ import annotations

from collections.abc import Sequence

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from engine.descriptors.codes import LOCAL_SCHEME as DESCRIPTOR_SCHEME
from engine.descriptors.codes import Code, concept_code, value_codes
from engine.descriptors.types import DescriptorSet
from engine.reader_measurements import ReaderMeasurement
from engine.report.model_info import SOFTWARE_NAME, ModelInfo, software_version
from engine.report.source import SourceImage
from engine.types import Analysis, Finding, LineMeasurement

SR_SERIES_NUMBER = 901
LOCAL_SCHEME = "99LESIONLENS"

CLASS_CODES = {
    "benign": hd.sr.CodedConcept("30807003", "SCT", "Benign"),
    "malignant": hd.sr.CodedConcept("21594007", "SCT", "Malignant"),
}
LESION_CLASS = hd.sr.CodedConcept("LESIONCLASS", LOCAL_SCHEME, "Lesion class (AI)")
READER_CLASS = hd.sr.CodedConcept("READERCLASS", LOCAL_SCHEME, "Lesion class (reader)")
OUTLINE_SOURCE = hd.sr.CodedConcept("OUTLINESRC", LOCAL_SCHEME, "Outline source")
OUTLINE_AI = hd.sr.CodedConcept("BYAI", LOCAL_SCHEME, "AI segmentation")
OUTLINE_CORRECTED = hd.sr.CodedConcept(
    "AICORRECTED", LOCAL_SCHEME, "AI segmentation corrected by the reader"
)
DRAWN_BY_READER = hd.sr.CodedConcept("BYREADER", LOCAL_SCHEME, "Drawn by the reader")
MEASUREMENT_SOURCE = hd.sr.CodedConcept("MEASSRC", LOCAL_SCHEME, "Measurement source")
CLASS_SPREAD = hd.sr.CodedConcept(
    "TTASPREAD", LOCAL_SCHEME, "Spread of class probability under test-time augmentation"
)
LESION_COUNT = hd.sr.CodedConcept("LESIONCOUNT", LOCAL_SCHEME, "Number of lesions found")
LESION_PRESENCE = hd.sr.CodedConcept("LESIONPRESENT", LOCAL_SCHEME, "Lesion presence (AI)")
PRESENT = hd.sr.CodedConcept("52101004", "SCT", "Present")
ABSENT = hd.sr.CodedConcept("2667000", "SCT", "Absent")
LESION_PROBABILITY = hd.sr.CodedConcept(
    "LESIONPROB", LOCAL_SCHEME, "Probability that the image shows a lesion"
)
SCOPE = hd.sr.CodedConcept("SCOPE", LOCAL_SCHEME, "Image within the model's scope")
IN_SCOPE = hd.sr.CodedConcept("INSCOPE", LOCAL_SCHEME, "In scope")
OUT_OF_SCOPE = hd.sr.CodedConcept("OUTSCOPE", LOCAL_SCHEME, "Out of scope: findings withheld")
RUN_ON_DEMAND = hd.sr.CodedConcept(
    "ONDEMAND", LOCAL_SCHEME, "Out of scope: run on the reader's demand"
)
SCOPE_SCORE = hd.sr.CodedConcept(
    "SCOPESCORE", LOCAL_SCHEME, "Scope score (distance to training images / limit)"
)
CATEGORY_STATUS = hd.sr.CodedConcept("CATSTATUS", LOCAL_SCHEME, "Assessment category status")
CATEGORY_AI = hd.sr.CodedConcept(
    "CATPROPOSED", LOCAL_SCHEME, "Proposed by the AI, not confirmed by a reader"
)
CATEGORY_CONFIRMED = hd.sr.CodedConcept(
    "CATCONFIRMED", LOCAL_SCHEME, "AI proposal confirmed by the reader"
)
CATEGORY_READER = hd.sr.CodedConcept("CATREADER", LOCAL_SCHEME, "Set by the reader")
assert DESCRIPTOR_SCHEME == LOCAL_SCHEME  # one private scheme, declared once per document
PIXELS = hd.sr.CodedConcept("{pixel}", "UCUM", "pixels")
SQUARE_PIXELS = hd.sr.CodedConcept("{pixel^2}", "UCUM", "square pixels")
IMAGING_PROCEDURE = hd.sr.CodedConcept("363679005", "SCT", "Imaging procedure")


def measurement_report_sr(
    analysis: Analysis,
    source: SourceImage,
    model: ModelInfo,
    reviewer: str = "",
    calipers: Sequence[LineMeasurement] = (),
    shapes: Sequence[ReaderMeasurement] = (),
) -> hd.sr.ComprehensiveSR:
    """The SR document; `reviewer` ("" when de-identifying) becomes the person observer.
    calipers: the reader's line measurements, one planar ROI group each (TID 1410 Length
    of an open two-point POLYLINE), marked as the reader's, with no algorithm. shapes: the
    reader's ellipses, traces and angles (engine.reader_measurements), likewise."""
    algorithm = hd.sr.AlgorithmIdentification(
        name=model.model_id, version=model.version, family=codes.cid7162.ArtificialIntelligence
    )
    groups: list = [_image_group(analysis, source, algorithm)]
    groups += [
        _finding_group(index, finding, analysis, source, algorithm)
        for index, finding in enumerate(analysis.findings, start=1)
    ]
    groups += [
        _caliper_group(index, caliper, source) for index, caliper in enumerate(calipers, start=1)
    ]
    groups += [_shape_group(shape, source) for shape in shapes]
    report = hd.sr.MeasurementReport(
        observation_context=_observation_context(model, reviewer),
        procedure_reported=IMAGING_PROCEDURE,
        imaging_measurements=groups,
        referenced_images=[source.header],
    )
    sr = hd.sr.ComprehensiveSR(
        evidence=[source.header],
        content=report,
        series_instance_uid=hd.UID(),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=SOFTWARE_NAME,
        is_complete=True,
        is_final=False,
        is_verified=False,
        series_description="LesionLens measurement report",
        content_qualification=hd.ContentQualificationValues.RESEARCH,
        software_versions=software_version(),
    )
    sr.CodingSchemeIdentificationSequence = [_local_scheme()]
    return sr


def _local_scheme() -> Dataset:
    """Declares the private coding scheme, as PS3.3 C.12.1.1.3 asks of "99" designators."""
    item = Dataset()
    item.CodingSchemeDesignator = LOCAL_SCHEME
    item.CodingSchemeName = "LesionLens local codes"
    item.CodingSchemeResponsibleOrganization = SOFTWARE_NAME
    return item


def _observation_context(model: ModelInfo, reviewer: str) -> hd.sr.ObservationContext:
    device = hd.sr.ObserverContext(
        observer_type=codes.cid270.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=generate_uid(entropy_srcs=[SOFTWARE_NAME, model.model_id, model.version]),
            name=SOFTWARE_NAME,
            manufacturer_name=SOFTWARE_NAME,
            model_name=f"{model.model_id} {model.version}"[:64],
        ),
    )
    person = None
    if reviewer:
        person = hd.sr.ObserverContext(
            observer_type=codes.cid270.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=reviewer
            ),
        )
    return hd.sr.ObservationContext(observer_person_context=person, observer_device_context=device)


def _image_group(
    analysis: Analysis, source: SourceImage, algorithm: hd.sr.AlgorithmIdentification
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """The model's image-level result (TID 1501): lesion present or absent, the class and
    the probability of malignancy when there is a lesion, the number of lesions, and the
    scope check (in scope, withheld, or run on demand); present even when no lesion was
    found, so "no lesion" and "withheld" are stated, not implied by silence."""
    prediction = analysis.prediction
    frames = [source.frame_number] if source.frame_number is not None else None
    measurements = (
        _probabilities(analysis, prediction.spread, algorithm) if analysis.findings else []
    )
    measurements.append(
        hd.sr.Measurement(
            name=LESION_COUNT,
            value=len(analysis.findings),
            unit=codes.UCUM.NoUnits,
            algorithm_id=algorithm,
        )
    )
    if prediction.lesion_probability is not None and not analysis.withheld:
        measurements.append(
            hd.sr.Measurement(
                name=LESION_PROBABILITY,
                value=round(100.0 * prediction.lesion_probability, 1),
                unit=codes.UCUM.Percent,
                algorithm_id=algorithm,
            )
        )
    scope = analysis.scope
    if scope is not None and scope.score is not None:
        measurements.append(
            hd.sr.Measurement(
                name=SCOPE_SCORE,
                value=round(scope.score, 3),
                unit=codes.UCUM.NoUnits,
                algorithm_id=algorithm,
            )
        )
    evaluations = []
    if not analysis.withheld:
        presence = PRESENT if analysis.findings else ABSENT
        evaluations.append(hd.sr.QualitativeEvaluation(name=LESION_PRESENCE, value=presence))
    if analysis.findings:
        evaluations.append(
            hd.sr.QualitativeEvaluation(name=LESION_CLASS, value=class_code(prediction.label))
        )
    if scope is not None and scope.score is not None:
        verdict = IN_SCOPE if scope.in_scope else RUN_ON_DEMAND if scope.forced else OUT_OF_SCOPE
        evaluations.append(hd.sr.QualitativeEvaluation(name=SCOPE, value=verdict))
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Image"),
        algorithm_id=algorithm,
        measurements=measurements,
        qualitative_evaluations=evaluations,
        source_images=[
            hd.sr.SourceImageForMeasurementGroup.from_source_image(
                source.header, referenced_frame_numbers=frames
            )
        ],
    )


def _finding_group(
    index: int,
    finding: Finding,
    analysis: Analysis,
    source: SourceImage,
    algorithm: hd.sr.AlgorithmIdentification,
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    frames = [source.frame_number] if source.frame_number is not None else None
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=scoord_polyline(finding.contour),
        source_image=hd.sr.SourceImageForRegion.from_source_image(
            source.header, referenced_frame_numbers=frames
        ),
    )
    # A lesion the reader outlined where the model found none is the reader's alone: no
    # algorithm on its group and no AI probability; it says "Drawn by the reader".
    drawn = finding.drawn_by_reader
    outline = DRAWN_BY_READER if drawn else OUTLINE_CORRECTED if finding.corrected else OUTLINE_AI
    class_name = READER_CLASS if finding.label_source == "reader" or drawn else LESION_CLASS
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=f"Lesion {index}"),
        referenced_region=region,
        finding_type=codes.SCT.Lesion,
        algorithm_id=None if drawn else algorithm,
        measurements=_measurements(finding, analysis, algorithm),
        qualitative_evaluations=[
            hd.sr.QualitativeEvaluation(name=OUTLINE_SOURCE, value=outline),
            hd.sr.QualitativeEvaluation(name=class_name, value=class_code(finding.label)),
            *descriptor_evaluations(finding.descriptors),
        ],
    )


def _caliper_group(
    index: int, caliper: LineMeasurement, source: SourceImage
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    """One reader caliper: its line (open POLYLINE, DICOM (column, row) + 0.5 like outlines)
    and its Length, in mm where calibrated, else in pixels."""
    frames = [source.frame_number] if source.frame_number is not None else None
    points = np.asarray([caliper.start, caliper.end], dtype=np.float64)[:, ::-1] + 0.5
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=points.astype(np.float32),
        source_image=hd.sr.SourceImageForRegion.from_source_image(
            source.header, referenced_frame_numbers=frames
        ),
    )
    if caliper.length_mm is not None:
        length = hd.sr.Measurement(
            name=codes.SCT.Length,
            value=round(float(caliper.length_mm), 2),
            unit=codes.UCUM.Millimeter,
        )
    else:
        length = hd.sr.Measurement(
            name=codes.SCT.Length, value=round(float(caliper.length_px), 2), unit=PIXELS
        )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=f"Caliper {index}"),
        referenced_region=region,
        measurements=[length],
        qualitative_evaluations=[
            hd.sr.QualitativeEvaluation(name=MEASUREMENT_SOURCE, value=DRAWN_BY_READER)
        ],
    )


def _shape_group(
    shape: ReaderMeasurement, source: SourceImage
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    """One reader ellipse, trace or angle: its region in DICOM (column, row) + 0.5, and its
    Area and Perimeter (ellipse, trace) or Angle, marked as the reader's."""
    frames = [source.frame_number] if source.frame_number is not None else None
    points = np.asarray(shape.points, dtype=np.float64)[:, ::-1] + 0.5
    if shape.kind == "ellipse":
        graphic = hd.sr.GraphicTypeValues.ELLIPSE
        first, second = np.linalg.norm(points[1] - points[0]), np.linalg.norm(points[3] - points[2])
        if second > first:  # DICOM: the major axis end points first
            points = points[[2, 3, 0, 1]]
    else:
        graphic = hd.sr.GraphicTypeValues.POLYLINE
        if shape.kind == "trace":
            points = np.vstack([points, points[:1]])  # closed: the last point is the first
    region = hd.sr.ImageRegion(
        graphic_type=graphic,
        graphic_data=points.astype(np.float32),
        source_image=hd.sr.SourceImageForRegion.from_source_image(
            source.header, referenced_frame_numbers=frames
        ),
    )
    if shape.kind == "angle":
        measurements = [
            hd.sr.Measurement(
                name=codes.SCT.Angle, value=round(float(shape.value), 2), unit=codes.UCUM.Degree
            )
        ]
    else:
        mm = shape.calibrated
        assert shape.perimeter is not None
        measurements = [
            hd.sr.Measurement(
                name=codes.SCT.Area,
                value=round(float(shape.value), 2),
                unit=codes.UCUM.SquareMillimeter if mm else SQUARE_PIXELS,
            ),
            hd.sr.Measurement(
                name=codes.SCT.Perimeter,
                value=round(float(shape.perimeter), 2),
                unit=codes.UCUM.Millimeter if mm else PIXELS,
            ),
        ]
    name = {"ellipse": "Ellipse", "trace": "Trace", "angle": "Angle"}[shape.kind]
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=hd.UID(), identifier=f"{name} {shape.label[1:]}"
        ),
        referenced_region=region,
        measurements=measurements,
        qualitative_evaluations=[
            hd.sr.QualitativeEvaluation(name=MEASUREMENT_SOURCE, value=DRAWN_BY_READER)
        ],
    )


def _coded(code: Code) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(code.value, code.scheme, code.meaning)


def descriptor_evaluations(
    descriptors: DescriptorSet | None,
) -> list[hd.sr.QualitativeEvaluation]:
    """One CODE evaluation per coded descriptor value, then the category and its status."""
    if descriptors is None:
        return []
    template = descriptors.template
    out = []
    for item in descriptors.descriptors:
        for code in value_codes(template, item.name, item.value):
            out.append(
                hd.sr.QualitativeEvaluation(
                    name=_coded(concept_code(template, item.name)), value=_coded(code)
                )
            )
    category = value_codes(template, "category", descriptors.category)
    if category:
        out.append(
            hd.sr.QualitativeEvaluation(
                name=_coded(concept_code(template, "category")), value=_coded(category[0])
            )
        )
        status = (
            CATEGORY_READER
            if descriptors.category_source == "reader"
            else CATEGORY_AI
            if descriptors.category_proposed
            else CATEGORY_CONFIRMED
        )
        out.append(hd.sr.QualitativeEvaluation(name=CATEGORY_STATUS, value=status))
    return out


def _measurements(
    finding: Finding, analysis: Analysis, algorithm: hd.sr.AlgorithmIdentification
) -> list[hd.sr.Measurement]:
    m = finding.measurements
    if m.long_axis_mm is not None and m.short_axis_mm is not None and m.area_mm2 is not None:
        sizes = [
            (codes.SCT.LongAxis, m.long_axis_mm, codes.UCUM.Millimeter),
            (codes.SCT.ShortAxis, m.short_axis_mm, codes.UCUM.Millimeter),
            (codes.SCT.Area, m.area_mm2, codes.UCUM.SquareMillimeter),
        ]
    else:
        sizes = [
            (codes.SCT.LongAxis, m.long_axis_px, PIXELS),
            (codes.SCT.ShortAxis, m.short_axis_px, PIXELS),
            (codes.SCT.Area, m.area_px, SQUARE_PIXELS),
        ]
    out = [
        hd.sr.Measurement(name=name, value=round(float(value), 2), unit=unit)
        for name, value, unit in sizes
    ]
    if finding.drawn_by_reader:  # the model said nothing about this lesion
        return out
    return out + _probabilities(analysis, finding.uncertainty, algorithm)


def _probabilities(
    analysis: Analysis, spread: float, algorithm: hd.sr.AlgorithmIdentification
) -> list[hd.sr.Measurement]:
    out = []
    malignant = analysis.prediction.probabilities.get("malignant")
    if malignant is not None:
        out.append(
            hd.sr.Measurement(
                name=codes.DCM.ProbabilityOfCancer,
                value=round(100.0 * float(malignant), 1),
                unit=codes.UCUM.Percent,
                algorithm_id=algorithm,
            )
        )
    out.append(
        hd.sr.Measurement(
            name=CLASS_SPREAD,
            value=round(100.0 * float(spread), 1),
            unit=codes.UCUM.Percent,
            algorithm_id=algorithm,
        )
    )
    return out


def class_code(label: str) -> hd.sr.CodedConcept:
    return CLASS_CODES.get(label.lower()) or hd.sr.CodedConcept(
        label.upper()[:16], LOCAL_SCHEME, label
    )


def scoord_polyline(contour_rc: np.ndarray) -> np.ndarray:
    """(row, col) pixel-centre contour -> closed (column, row) SCOORD points (see module)."""
    points = np.asarray(contour_rc, dtype=np.float64)[:, ::-1] + 0.5
    if not np.allclose(points[0], points[-1]):
        points = np.vstack([points, points[:1]])
    return points.astype(np.float32)
