"""Makes phone_gps.heic, the HEIC photo of tipdesk's metadata tests.

A 64x48 picture encoded by libheif (x265) through pillow-heif, with what a
phone writes: EXIF naming the maker, model, owner (Artist) and body serial
number, a GPS position, the orientation 6 (libheif also writes it as an
`irot` property), and an XMP packet naming the owner.

    pip install pillow-heif && python3 make.py phone_gps.heic
"""
import sys

import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="Owner Mina Rahimi"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def picture(w, h):
    im = Image.new("RGB", (w, h), (30, 90, 160))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, w // 2, h // 3], fill=(240, 200, 40))
    d.ellipse([w // 2, h // 2, w - 1, h - 1], fill=(200, 40, 40))
    return im


def exif():
    e = Image.Exif()
    e[0x010F] = "Apple"  # Make
    e[0x0110] = "iPhone 13"  # Model
    e[0x013B] = "Mina Rahimi"  # Artist
    e[0x0112] = 6  # Orientation: turn 90 degrees clockwise to show
    e[0x8825] = {1: "N", 2: (36.0, 43.0, 12.0), 3: "E", 4: (68.0, 51.0, 36.0)}
    e.get_ifd(0x8769)[0xA431] = "SN-8812-0042"  # BodySerialNumber
    return e.tobytes()


picture(64, 48).save(sys.argv[1], format="HEIF", quality=40, exif=exif(), xmp=XMP)
