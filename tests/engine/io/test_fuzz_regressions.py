"""Regression tests for the crashes bench/fuzz.py (atheris) found in the readers: each input
here raised something other than LoadError. Minimal inputs, built in the test (docs/fuzzing.md)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from engine.datasets.pixels import read_array
from engine.errors import LoadError
from engine.io import load_any, load_image, read_dicomdir, read_nifti

# A DICOMDIR cut down by bench/fuzz.py --minimize from pydicom's test DICOMDIR (after the
# 128-byte preamble): its DirectoryRecordSequence holds bytes pydicom cannot make items of,
# so reading it raised TypeError "Sequence contents must be 'Dataset' instances".
BROKEN_RECORDS = bytes.fromhex(
    "4449434d02000000554c0400ba000000020001004f4200000200000000010200020055491400312e322e3834"
    "302e31303030382e312e332e31300200030055493000312e322e3237362e302e373233303031302e332e312e"
    "342e302e33313930362e313335393934303834362e37383138370200100055491400312e322e3834302e3130"
    "3030382e312e322e31000200120055491c00312e322e3237362e302e373233303031302e332e302e332e362e"
    "300002001300534810004f464649535f44434d544b5f333630200400301143530c0050594449434f4d5f5445"
    "535404000012554c04008c01000004000212554c00000400201253510000e0290000feff00e06a0000000400"
    "0014554c0400360c000004001014554c0400fe010000040030144353080050415449454e5420080005001455"
    "4c040007"
)

# A NIfTI-2 file (bench/fuzz.py --minimize of a mutated nibabel-written seed) whose header
# says an extension follows, but the extension is cut short.
CUT_EXTENSION = bytes.fromhex(
    "1c0200006e2b32000d0a1a0a4000030000000000000000000003000000000000000300000000000000010000"
    "0000000000010000000000000001000000000000000100000000000000000000000000000000000000000000"
    "5b000000000000000000000000000000f03f9a999999999900803f0000b0430000803f000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000020000"
    "0000000000000000000000000000000000000000000000cdcc4c3f00000000000000000000000000000000cd"
    "cc4c2b3f00000000000000000000000000000000000020400000000000000000000000000000000000000000"
    "6e2b310000000000010001000100010100010000000101803f0000b0430000803f0000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000002000000000000000000000000000010100000000010001000000000000"
    "01009a9999999999e93f0000000000000440000000000000f03f000000000000f03f000000000000f0ec0064"
    "0035006100a0ff510103012701f3ff1a011c0042011801eb"
)


def _nifti_bytes() -> bytearray:
    volume = np.arange(24, dtype=np.int16).reshape(4, 3, 2)
    return bytearray(nib.Nifti1Image(volume, np.eye(4)).to_bytes())


def test_number_of_frames_that_is_not_a_number(write_dicom) -> None:  # noqa: ANN001
    """NumberOfFrames "1A" raised ValueError in is_enhanced_volume; it counts as 1 frame."""
    path = write_dicom("frames.dcm", np.zeros((8, 8), np.uint8), NumberOfFrames=1)
    data = path.read_bytes()
    assert data.count(b"IS\x02\x001 ") == 1
    path.write_bytes(data.replace(b"IS\x02\x001 ", b"IS\x02\x001A"))
    try:
        image = load_any(path)
    except LoadError as exc:
        assert exc.path == path
    else:
        assert image.pixels.shape == (8, 8)


@pytest.mark.parametrize("reader", [read_nifti, read_array])
def test_nifti_with_an_unknown_datatype_code(tmp_path: Path, reader) -> None:  # noqa: ANN001
    """nibabel's HeaderDataError ("data code -9728 not recognized") escaped both readers."""
    data = _nifti_bytes()
    data[70:72] = np.int16(-9728).tobytes()  # datatype
    path = tmp_path / "bad.nii"
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="not a readable NIfTI") as info:
        reader(path)
    assert info.value.path == path


@pytest.mark.parametrize("reader", [read_nifti, read_array])
def test_nifti_with_a_cut_extension(tmp_path: Path, reader) -> None:  # noqa: ANN001
    """NIfTI-2 with the extension flag set and the extension cut short: HeaderDataError
    ("failed to read extension content") escaped."""
    path = tmp_path / "ext.nii"
    path.write_bytes(CUT_EXTENSION)
    with pytest.raises(LoadError, match="not a readable NIfTI") as info:
        reader(path)
    assert info.value.path == path


def test_dicomdir_whose_records_are_not_items(tmp_path: Path) -> None:
    (tmp_path / "DICOMDIR").write_bytes(b"\x00" * 128 + BROKEN_RECORDS)
    with pytest.raises(LoadError, match="not a readable DICOMDIR") as info:
        read_dicomdir(tmp_path)
    assert info.value.path == tmp_path / "DICOMDIR"


def test_dicomdir_declaring_a_4gb_element_under_a_memory_cap(tmp_path: Path) -> None:
    """pydicom asks for an element's declared length before it finds the file shorter; under
    a memory cap that was a MemoryError out of read_dicomdir. Run in a child with 1 GB."""
    head = bytes.fromhex(BROKEN_RECORDS.hex()[: 2 * BROKEN_RECORDS.index(b"\x04\x000\x11")])
    huge = b"\x09\x00\x10\x00OB\x00\x00" + (0xFFFFFFF0).to_bytes(4, "little") + b"\x00" * 16
    (tmp_path / "DICOMDIR").write_bytes(b"\x00" * 128 + head + huge)
    script = (
        "import resource, sys\n"
        "from engine.errors import LoadError\n"
        "from engine.io import read_dicomdir\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    read_dicomdir(sys.argv[1])\n"
        "except LoadError as exc:\n"
        "    print('LoadError', exc.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("LoadError")


@pytest.mark.parametrize("reader", [read_nifti, read_array])
def test_short_nifti_claiming_600_mb_is_refused_before_allocating(
    tmp_path: Path,
    reader,  # noqa: ANN001
) -> None:
    """Found by the fuzzer as a 1.4 GB peak RSS: nibabel cannot map a file shorter than its
    header says, so it allocated the stated size and only then found the file short."""
    header = nib.Nifti1Header()
    header.set_data_dtype(np.int16)
    header.set_data_shape((1000, 1000, 300))
    header["vox_offset"] = 352
    path = tmp_path / "short.nii"
    path.write_bytes(header.binaryblock + b"\x00" * 4 + b"\x00" * 400)
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match="truncated") as info:
            reader(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.path == path
    assert peak < 64 * 1024**2


# A NIfTI-2 header alone (bench/fuzz.py --minimize): dimensions nibabel turns into shape ().
NO_DIMENSIONS = bytes.fromhex(
    "1c0200006e2b32000d0a1a0a0004000090002c00030000010001000100010000000000000000000000000000"
    "0002000800000000df000000000000000000000000803fcdcc4c3fcdcc4c3f000020400000803f0000803f00"
    "00803f0000803f1c0200006e2b32000d0a1a0a40004020030000000000000004000000000000000300000000"
    "00000003000000000000000100000000000000010080008c00000000011c0200006e00000000000000010000"
    "0000000000000000044000000000006e2b300000000000010001000100010100010000000101000001010000"
    "0000010001000000000000000000000000000000000000000000000000000000000000680000000029000000"
    "0000000000000000000000000000470000000000000001010100000101010000000000000000000000000500"
    "00000000000000000000001c38e0e23fa429a0038effdf3f1eca0e312b3ade3f7812e988fd61c53fcfcf3015"
    "136cef3ff030ca7b47f9c83f2e2802ee5ceb19b03fed00000000000000000000000207599c2cd5e03fe2cf3d"
    "0000000000000000000100010000000000000000000000030001000100010001000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000010000000000009000000000000000"
    "00000000000000000000000002000800000000df000000000000000000000000000000000000000000000000"
    "000000000000000000000000"
)


@pytest.mark.parametrize("reader", [read_nifti, read_array])
def test_nifti_with_no_dimensions(tmp_path: Path, reader) -> None:  # noqa: ANN001
    """Shape (): read_nifti padded it to 1x1x1 and reshape raised ValueError on 0 voxels."""
    path = tmp_path / "nodims.nii"
    path.write_bytes(NO_DIMENSIONS)
    with pytest.raises(LoadError) as info:
        reader(path)
    assert info.value.path == path


# DICOM files from the raster target (bench/fuzz.py --minimize): pydicom reads elements lazily,
# so a broken one raised wherever it was first touched (describe_non_image's str(Modality),
# a tag lookup): BytesLengthException, OSError "No tag to read", NotImplementedError
# "Unknown Value Representation".
LAZY_BROKEN_ELEMENTS = {
    "wrong_length": bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000280000001e10000000002b26df42000004ac4944415478"
        "9ced964d68135b14c7ef9dc9cc649ac9a4364dd2f4231d9aa6b4a5c48f5a3f5bd76ea4d09d2022b870e1"
        "42dd095db8aad05541852ea28888b62a6d3549a76989493a9d01000000d299dcc95bccf8405ee33d9ebe"
        "e7464449434d0200000100000000080060005351ffffff00000000000000000000000000000000000031"
        "000000000000ffff38"
    ),
    "cut_sequence": bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000280000001e10000000002b26df42000004ac4944415478"
        "9ced964d68135b14c7ef9dc9cc649ac9a4364dd2f4231d9aa6b4a5c48f5a3f5bd76ea4d09d2022b870e1"
        "42dd095db8aad05541852ea28888b62a6d3549a76989493a9d01000000d299dcc9cc5bf8405ee33d9ebe"
        "e7464449434d0200000100000000080060005351ffffff00000000000000f9000000000000ffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffff00000000"
    ),
    "unknown_vr": bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000280000001e10000000002b26df42000004ac4944415478"
        "9ced964d68135b14c7ef9dc9cc649ac9a4324dd2f4231d9aa6b4a5c48f5a3f5bd76ea4d09d2022b870e1"
        "42dd095db8aad05541852ea28888b62a6d3549a76989493a9d01000000d299dcc9cc5bf8405ee33d9ebe"
        "e7464449434d0200000100000000080060005351ffffff00000000000000f90000000000000000000000"
        "0000003100000000000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffff00000000ffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffff0800000000000000ffffffffff29ffffffffffffffffff000000000000000000000000000000"
        "0000000000000000ffff000000000000001dd3ce9cd13455feff00e000000000"
    ),
}


@pytest.mark.parametrize("name", sorted(LAZY_BROKEN_ELEMENTS))
@pytest.mark.parametrize("loader", [load_any, load_image])
def test_dicom_with_an_element_pydicom_cannot_convert(tmp_path: Path, name: str, loader) -> None:  # noqa: ANN001
    path = tmp_path / f"{name}.dcm"
    path.write_bytes(LAZY_BROKEN_ELEMENTS[name])
    with pytest.raises(LoadError) as info:
        loader(path)
    assert info.value.path == path


# A 334-byte PNG from the raster target whose chunk length claims gigabytes: Pillow asks
# for them at once, which under a memory cap was a MemoryError out of read_raster.
HUGE_CHUNK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000280000001e10000000002b26df42990004ac4944415478"
    "9ced964d68135b14c7ef9dc9cc649ac9a4334dd2f4231d9aa6b4a5bb8f5a3f5bd76ea4d09d2022b870e1"
    "42dd095db8aad05541852ea28888b62a6d3549a76989493a9d01000000d299dcc9cc5bf840405ee33d9e"
    "bee7464449434d0000000000000000000000000000000000000000000000000000003100000000000000"
    "0200000000000082000000000000000000000000000000000000001d0ee7fe00000000f8af0e1a0a5ee3"
    "3d9ebee7464449434d000000000000000000000000000000000000000000000000000000310000000000"
    "00000200000000000082000000000000000000000000000000000000001d0ee7fe00000000f8af0e1a0a"
    "0000000d494844527058d3ce9cd134555d5f1f1e164545bae310f6f713445b9b2cc762b3b32a972e"
)


def test_png_whose_chunk_claims_gigabytes_under_a_memory_cap(tmp_path: Path) -> None:
    path = tmp_path / "chunk.png"
    path.write_bytes(HUGE_CHUNK_PNG)
    script = (
        "import resource, sys\n"
        "from engine.errors import LoadError\n"
        "from engine.io import load_image\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, resource.RLIM_INFINITY))\n"
        "try:\n"
        "    load_image(sys.argv[1])\n"
        "except LoadError as exc:\n"
        "    print('LoadError', exc.reason)\n"
        "else:\n"
        "    print('read')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(("LoadError", "read"))


# An RLE Lossless file (the fuzzer's input as found: a mutated pydicom test file) whose segment
# decodes past the frame: pylibjpeg-rle's Rust decoder panics ("index out of bounds"). pyo3's
# PanicException is a BaseException, so it passed the decoder guard and would pass every
# `except Exception` of a batch.
RLE_PANIC = bytes.fromhex(
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000004449434d"
    "02000000554c0400dc000000020001004f4200000200000000010200020055491e00312e322e3834302e3130"
    "3030382e352e312e342e312e312e3438312e32000200030055492a00312e392e3939392e3939392e39392e39"
    "2e393939392e393939392e3230303330383138313533353136000200100055491400312e322e3834302e3130"
    "3030382e312e322e35000200120055493000312e322e3832362e302e312e333638303034332e322e31313433"
    "2e3130372e3130342e3130332e3131352e322e382e340200130053480a004744434d20322e382e3402001600"
    "414508006764636d636f6e7608001200554e000008000000323030333039303308001300554e000006000000"
    "31353030333108001600554e00001e000000312e322e3834302e31303030382e352e312e342e312e312e3438"
    "312e320008001800554e00002a000000312e392e3939392e3939392e39392e392e393939392e393939392e32"
    "303033303831383135333531360008002000554e000008000000323030333038303508003000554e00000600"
    "000031313537343708005000554e00000000000008006000554e0000060000005254444f534508007000554e"
    "0000160000004d616e756661637475726572206e616d65206865726508009000554e00000000000008001010"
    "554e00000c000000436f6d70757465723030312008009010554e00002400000054726561746d656e7420506c"
    "616e6e696e672053797374656d206e616d6520686572652010001000554e0000120000004c6173746e616d65"
    "5e46697273746e616d6510002000554e000008000000696431313131312010003000554e0000000000001000"
    "4000554e0000020000004f2018005000554e00000000000018002010554e00000a00000076657273696f6e20"
    "312020000d00554e00001a000000312e322e3939392e3939392e39392e392e393939392e3838383820000e00"
    "554e00001a000000312e322e3737372e3737372e37372e372e373737372e3737373720001000554e00000200"
    "0000533120001100554e000002000000312020001300554e00000000000020003200554e0000320000003138"
    "392e3433313235303030303030305c3139392e3433313235303030303030305c2d3736312e38373030303030"
    "3030303020003700554e000032000000312e30303030303030303030303030305c302e305c302e305c302e30"
    "5c312e30303030303030303030303030305c302e302020005200554e000032000000322e32322e3232322e32"
    "2e3232323232322e322e323232323232323232323232323232323232323232323232323232322e3220004010"
    "554e000000000000280002005553020001002800040043530c004d4f4e4f4348524f4d45322028000900554e"
    "00000400000004300c0028001000555302000a0028001100555302000a0028003000554e0000220000003130"
    "2e303030303030303030303030305c31302e3030303030303030303030303020280000015553020020002800"
    "010155530200200028000201555302001f002800030155530200000004300200554e00000800000052454c41"
    "5449564504300400554e000008000000504859534943414c04300a00554e0000040000004245414d04300c00"
    "554e0000f2000000302e305c352e30303030303030303030303030305c31302e303030303030303030303030"
    "305c31352e303030303030303030303030305c32302e303030303030303030303030305c32352e3030303030"
    "30303030303030305c33302e303030303030303030303030305c33352e303030303030303030303030305c34"
    "302e303030303030303030303030305c34352e303030303030303030303030305c35302e3030303030303030"
    "30303030305c35352e303030303030303030303030305c36302e303030303030303030303030305c36352e30"
    "3030303030303030303030305c37302e303030303030303030303030302004300e00554e00000c000000312e"
    "30303030303030652d360c300200554e000094000000feff00e08c000000080050111e000000312e322e3834"
    "302e31303030382e352e312e342e312e312e3438312e3500080055112a000000312e322e3132332e3435362e"
    "37382e392e303132332e343536372e3839303132333435363738393031000c3020002c000000feff00e02400"
    "00000c30040012000000feff00e00a0000000c3006000200000031200c302200020000003120e07f10004f57"
    "0000fffffffffeff00e000000000feff00e04c01000004000000400000005400000070000000de0000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000f700"
    "f700f700f700f700f700f700f700f700f700fc130012fd13f712f711f710f70ffb0efe0f000ef70ef70df70c"
    "f70cff0eff120507fb1a22221eff30ff340328203b43ff3f095559615d5549656c6965097e828a867e768e96"
    "928e09b3b7bfbbb3abc3cac7c309f0f4fbfbf4ec030b07ff092c343c38342c4048443809757d888884798c94"
    "908409c5d1d9dcd9cde0e8e0d501212dfe35042d3c40382dffe8ffd0051860a0707088ff40ff280370a0f808"
    "0000000000000080c820f0082009a8906078a8d848183048098870405888b828f81028093820f0f02050c090"
    "a8d809e8b888a0b8e8704058a0095020d8d8f038c090a8f009884010f81058e0b0e028017830fe000430d0b8"
    "e830feffdde000000000"
)


def test_rle_decoder_panic_is_a_load_error(tmp_path: Path) -> None:
    """Either pydicom's own RLE decoder reads it, or the Rust one panics and that becomes a
    LoadError: never a PanicException."""
    path = tmp_path / "panic.dcm"
    path.write_bytes(RLE_PANIC)
    try:
        source = load_any(path)
        source.frame(source.count - 1) if hasattr(source, "frame") else None
    except LoadError as exc:
        assert exc.path == path


def test_rle_panic_from_the_rust_decoder_itself_is_a_load_error(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    from engine.io import dicom_decode

    monkeypatch.setattr(dicom_decode, "_plugins", lambda decoder: ["pylibjpeg"])
    path = tmp_path / "panic.dcm"
    path.write_bytes(RLE_PANIC)
    with pytest.raises(LoadError, match="cannot be decoded") as info:
        source = load_any(path)
        source.frame(source.count - 1) if hasattr(source, "frame") else None
    assert info.value.path == path


def test_jpeg2000_that_makes_gdcm_abort_the_process() -> None:
    """tests/data/fuzz/j2k_gdcm_abort.dcm (3 KB, the fuzzer's input as found): python-gdcm
    threw an uncaught C++ exception on its JPEG 2000 data and the process aborted
    ("terminate called"). gdcm is now the last resort; in a child, so a regression cannot
    take pytest down with it."""
    path = Path(__file__).parents[2] / "data" / "fuzz" / "j2k_gdcm_abort.dcm"
    script = (
        "import sys\n"
        "from engine.errors import LoadError\n"
        "from engine.io import load_any\n"
        "try:\n"
        "    source = load_any(sys.argv[1])\n"
        "    source.frame(source.count - 1) if hasattr(source, 'frame') else None\n"
        "except LoadError as exc:\n"
        "    print('LoadError', exc.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("LoadError")


def test_encapsulated_pixel_data_whose_offset_table_is_cut() -> None:
    """tests/data/fuzz/encaps_offset_table_cut.dcm (3 KB, as found): counting the frames of
    encapsulated data raised struct.error ("unpack requires a buffer of 808541232 bytes")."""
    path = Path(__file__).parents[2] / "data" / "fuzz" / "encaps_offset_table_cut.dcm"
    with pytest.raises(LoadError) as info:
        source = load_any(path)
        source.frame(source.count - 1) if hasattr(source, "frame") else None
    assert info.value.path == path


def test_pixel_data_element_with_an_unknown_vr() -> None:
    """tests/data/fuzz/pixel_data_unknown_vr.dcm (692 bytes, as found): the full read left
    (7FE0,0010) unconverted and counting frames raised NotImplementedError ("Unknown Value
    Representation")."""
    path = Path(__file__).parents[2] / "data" / "fuzz" / "pixel_data_unknown_vr.dcm"
    with pytest.raises(LoadError) as info:
        source = load_any(path)
        source.frame(source.count - 1) if hasattr(source, "frame") else None
    assert info.value.path == path


def test_jp2_box_of_length_zero_is_refused_not_looped_on() -> None:
    """tests/data/fuzz/j2k_jp2_box_length_zero.dcm (30 KB, the fuzzer's input as found,
    2026-12-04): a JP2 box of length 0 before the codestream made pydicom 3.0's
    get_j2k_parameters loop forever, so one file hung a whole batch. In a child with a
    timeout, so a regression fails instead of hanging pytest."""
    path = Path(__file__).parents[2] / "data" / "fuzz" / "j2k_jp2_box_length_zero.dcm"
    script = (
        "import sys\n"
        "from engine.errors import LoadError\n"
        "from engine.io import load_image\n"
        "try:\n"
        "    load_image(sys.argv[1])\n"
        "except LoadError as exc:\n"
        "    print('LoadError', exc.reason)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("LoadError JPEG 2000 data is corrupt (a JP2 box of length 0")


def test_transfer_syntax_uid_holding_several_values(write_dicom) -> None:  # noqa: ANN001
    """Crash 20 (bench/fuzz.py run 6): a backslash in File Meta's TransferSyntaxUID makes
    pydicom read it as a MultiValue, and UID() raised TypeError in transfer_syntax_of."""
    path = write_dicom("syntax.dcm", np.zeros((8, 8), np.uint8))
    data = path.read_bytes()
    explicit = b"1.2.840.10008.1.2.1\x00"
    assert data.count(explicit) == 1
    path.write_bytes(data.replace(explicit, b"1.2.840.10008.1\\2.1\x00"))
    for loader in (load_any, load_image):
        with pytest.raises(LoadError) as info:
            loader(path)
        assert info.value.path == path
        assert "TransferSyntaxUID is not one UID (2 values)" in info.value.reason
